// MappedFile: mapping, bounds-checked spans (overflow included) and error paths.
#include "common/mapped_file.h"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace hkv {
namespace {

TEST(MappedFileTest, MapsWholeFile) {
  testing::TempDir dir;
  std::string path = dir.write("a.bin", "hello world");
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EXPECT_EQ(file->size(), 11u);
  EXPECT_EQ(file->path(), path);
  auto span = file->span(6, 5);
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(span->data()), span->size()), "world");
}

TEST(MappedFileTest, EmptyFileIsValid) {
  testing::TempDir dir;
  auto file = MappedFile::open(dir.write("empty", ""));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), 0u);
  EXPECT_TRUE(file->bytes().empty());
  EXPECT_TRUE(file->span(0, 0).ok());
  EXPECT_FALSE(file->span(0, 1).ok());
}

TEST(MappedFileTest, SpanOutOfRangeNamesFileAndRange) {
  testing::TempDir dir;
  std::string path = dir.write("b.bin", "0123456789");
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok());
  auto past_end = file->span(8, 3);
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(past_end.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(past_end.status().message().find("b.bin"), std::string::npos);
  EXPECT_NE(past_end.status().message().find("[8, +3)"), std::string::npos);
  EXPECT_NE(past_end.status().message().find("file size 10"), std::string::npos);
  EXPECT_FALSE(file->span(11, 0).ok());
  EXPECT_TRUE(file->span(10, 0).ok());
}

TEST(MappedFileTest, SpanRejectsWrappingOffsets) {
  testing::TempDir dir;
  auto file = MappedFile::open(dir.write("c.bin", "abcd"));
  ASSERT_TRUE(file.ok());
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_FALSE(file->span(2, max).ok());
  EXPECT_FALSE(file->span(max, 2).ok());
  EXPECT_FALSE(file->span(max, max).ok());
}

TEST(MappedFileTest, MissingFileIsNotFound) {
  auto file = MappedFile::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
}

TEST(MappedFileTest, DirectoryIsRejected) {
  testing::TempDir dir;
  auto file = MappedFile::open(dir.path());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kFailedPrecondition);
}

TEST(MappedFileTest, MoveTransfersOwnership) {
  testing::TempDir dir;
  auto file = MappedFile::open(dir.write("d.bin", "xyz"));
  ASSERT_TRUE(file.ok());
  MappedFile a = std::move(file).value();
  MappedFile b = std::move(a);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is defined
  a = std::move(b);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.bytes()[2], 'z');
}

TEST(ReadFileTest, ReadsAndReportsMissing) {
  testing::TempDir dir;
  auto text = read_file_to_string(dir.write("t.txt", "line\n"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "line\n");
  EXPECT_EQ(read_file_to_string(dir.path() + "/nope").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hkv
