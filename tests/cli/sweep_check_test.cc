// The pre-queue check over the shipped data: the default sweep passes; sweeps needing data the
// clone does not ship (a missing split, more samples than a slice holds, an unknown score file, a
// broken file) are rejected with every problem named.
#include "cli/sweep_check.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "tests/testing/temp_dir.h"

namespace hkv::cli {
namespace {

std::string source_dir() {
  return HKV_SOURCE_DIR;
}

class SweepCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HEADKV_CACHE", cache_.path().c_str(), 1);  // no fetched data, no default model
    unsetenv("HEADKV_DATA_DIR");
  }

  void TearDown() override { unsetenv("HEADKV_CACHE"); }

  // Checks a sweep body with the model check off (no model in the test cache).
  Status check(const std::string& body, const std::string& data_root = "") {
    return check_sweep_text("name: t\nmodel: smollm2.gguf\n" + body, "t.yaml",
                            {data_root, false, false});
  }

  testing::TempDir cache_;
};

TEST_F(SweepCheckTest, DefaultSweepDataShips) {
  Result<std::string> text = read_file_to_string(source_dir() + "/examples/default_sweep.yaml");
  ASSERT_TRUE(text.ok());
  Status s = check_sweep_text(*text, "default_sweep.yaml", {"", false, false});
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST_F(SweepCheckTest, MissingSplitAndTooFewSamplesAreNamed) {
  Status s = check(R"(
benchmarks:
  - {benchmark: babilong, datasets: [qa1], splits: [0k, 8k], limit: 2}
  - {benchmark: longbench, datasets: [multi_news]}
methods: [{method: FullKV}]
)");
  ASSERT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("nothing was queued: 2 of 3 data file(s)"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("babilong/8k/qa1.jsonl: data file 'babilong/8k/qa1.jsonl'"),
            std::string::npos);
  EXPECT_NE(s.message().find("headkv data fetch babilong"), std::string::npos);
  EXPECT_NE(s.message().find("holds 150 samples, the sweep needs 200"), std::string::npos);
}

TEST_F(SweepCheckTest, UnknownScoreFileIsNamed) {
  Status s = check(R"(
benchmarks: [{benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}]
methods: [{method: HeadKV-R, budgets: [128], betas: [1.01], head_scores: /nope/scores.json}]
)");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("head scores '/nope/scores.json'"), std::string::npos);
}

TEST_F(SweepCheckTest, BrokenFileInAnExplicitRootIsRejected) {
  testing::TempDir root;
  std::filesystem::create_directories(root.path() + "/babilong/0k");
  root.write("babilong/0k/qa1.jsonl", "{\"input\": \"i\", \"question\": \"q\"}\n");
  Status s = check(R"(
benchmarks: [{benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}]
methods: [{method: FullKV}]
)",
                   root.path());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(root.path() + "/babilong/0k/qa1.jsonl:1"), std::string::npos)
      << s.message();
}

TEST_F(SweepCheckTest, MissingModelIsNamed) {
  Status s = check_sweep_text(
      "name: t\nmodel: /nope/model.gguf\nbenchmarks: [{benchmark: babilong, datasets: [qa1], "
      "splits: [0k], limit: 1}]\nmethods: [{method: FullKV}]\n",
      "t.yaml", {"", true, false});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("model '/nope/model.gguf' not found"), std::string::npos);
}

}  // namespace
}  // namespace hkv::cli
