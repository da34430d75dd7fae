// TempDir: a unique folder per object, files written into it, everything removed with it (also
// after a move, exactly once).
#include "common/temp_dir.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/mapped_file.h"

namespace hkv {
namespace {

TEST(TempDirTest, WritesFilesAndRemovesEverythingOnDestruction) {
  std::string path;
  {
    Result<TempDir> dir = TempDir::create("hkv-temp-dir-test");
    ASSERT_TRUE(dir.ok()) << dir.status().to_string();
    path = dir->path();
    EXPECT_NE(path.find("hkv-temp-dir-test-"), std::string::npos);
    Result<std::string> file = dir->write("a.txt", "hello");
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(*read_file_to_string(*file), "hello");
    ASSERT_TRUE(dir->write("a.txt", "hi").ok());
    EXPECT_EQ(*read_file_to_string(*file), "hi");
    dir->remove("a.txt");
    EXPECT_FALSE(std::filesystem::exists(*file));
    ASSERT_TRUE(dir->write("b.txt", "b").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, TwoFoldersDifferAndAMovedFolderIsRemovedOnce) {
  Result<TempDir> a = TempDir::create("hkv-temp-dir-test");
  Result<TempDir> b = TempDir::create("hkv-temp-dir-test");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->path(), b->path());
  const std::string path = a->path();
  TempDir moved = std::move(*a);
  EXPECT_EQ(moved.path(), path);
  EXPECT_TRUE(a->path().empty());
  EXPECT_TRUE(std::filesystem::exists(path));
  moved = std::move(*b);  // the first folder goes now
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, AWriteIntoAMissingFolderIsDataLoss) {
  Result<TempDir> dir = TempDir::create("hkv-temp-dir-test");
  ASSERT_TRUE(dir.ok());
  Result<std::string> file = dir->write("missing/a.txt", "x");
  EXPECT_EQ(file.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hkv
