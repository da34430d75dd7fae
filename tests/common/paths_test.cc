// The data search path: explicit root, $HEADKV_DATA_DIR, <cache>/data, shipped data; first match
// per file, .gz included; errors list the roots searched and say how to get the data.
#include "common/paths.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace hkv {
namespace {

// Points $HEADKV_CACHE and $HEADKV_DATA_DIR at test folders for one test.
class PathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HEADKV_CACHE", cache_.path().c_str(), 1);
    unsetenv("HEADKV_DATA_DIR");
  }

  void TearDown() override {
    unsetenv("HEADKV_CACHE");
    unsetenv("HEADKV_DATA_DIR");
  }

  testing::TempDir cache_, env_, explicit_;
};

// In the build tree the shipped data is the source tree's data/; an installed test binary (the
// bundle's, run on a GPU host) finds share/headkv/data beside it instead.
TEST_F(PathsTest, ShippedDataIsTheSourceTreeData) {
  const std::string shipped = std::filesystem::canonical(shipped_data_dir()).string();
  EXPECT_TRUE(shipped ==
                  std::filesystem::canonical(std::string(HKV_SOURCE_DIR) + "/data").string() ||
              shipped.ends_with("/share/headkv/data"))
      << shipped;
  EXPECT_EQ(data_search_path(), std::vector<std::string>{shipped_data_dir()});
  Result<std::string> f = find_data_file("babilong/0k/qa1.jsonl");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(*f, shipped_data_dir() + "/babilong/0k/qa1.jsonl");  // found as .gz, named plain
}

TEST_F(PathsTest, FirstMatchPerFileInOrder) {
  std::filesystem::create_directories(cache_.path() + "/data/babilong/0k");
  cache_.write("data/babilong/0k/qa1.jsonl", "{}\n");
  std::filesystem::create_directories(env_.path() + "/babilong/0k");
  env_.write("babilong/0k/qa2.jsonl", "{}\n");
  setenv("HEADKV_DATA_DIR", env_.path().c_str(), 1);
  std::filesystem::create_directories(explicit_.path() + "/babilong/0k");
  explicit_.write("babilong/0k/qa3.jsonl", "{}\n");
  EXPECT_EQ(data_search_path(explicit_.path()),
            (std::vector<std::string>{explicit_.path(), env_.path(), cache_.path() + "/data",
                                      shipped_data_dir()}));
  EXPECT_EQ(*find_data_file("babilong/0k/qa1.jsonl", explicit_.path()),
            cache_.path() + "/data/babilong/0k/qa1.jsonl");
  EXPECT_EQ(*find_data_file("babilong/0k/qa2.jsonl", explicit_.path()),
            env_.path() + "/babilong/0k/qa2.jsonl");
  EXPECT_EQ(*find_data_file("babilong/0k/qa3.jsonl", explicit_.path()),
            explicit_.path() + "/babilong/0k/qa3.jsonl");
  EXPECT_EQ(*find_data_file("babilong/0k/qa4.jsonl", explicit_.path()),
            shipped_data_dir() + "/babilong/0k/qa4.jsonl");
}

TEST_F(PathsTest, MissingFileErrorListsRootsAndTheFetchCommand) {
  Result<std::string> f = find_data_file("babilong/64k/qa1.jsonl");
  ASSERT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("babilong/64k/qa1.jsonl"), std::string::npos);
  EXPECT_NE(f.status().message().find(shipped_data_dir()), std::string::npos);
  EXPECT_NE(f.status().message().find("headkv data fetch babilong"), std::string::npos);
  EXPECT_EQ(find_data_dir("nothing-here").status().code(), StatusCode::kNotFound);
}

TEST_F(PathsTest, DefaultHaystackIsTheShippedEssays) {
  EXPECT_EQ(default_haystack_dir(), shipped_data_dir() + "/pg_essays");
  EXPECT_EQ(count_files_with_suffix(default_haystack_dir(), ".txt"), 49);
}

}  // namespace
}  // namespace hkv
