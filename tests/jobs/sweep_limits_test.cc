// Sweep files that used to kill or freeze the coordinator: alias bombs, huge grids, a 2^31-length
// needle range, deep nesting. Each is rejected fast, naming the limit; de-duplication of a
// limit-sized grid is near-linear.
#include "jobs/sweep_limits.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "common/strings.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {
namespace {

constexpr const char* kHead = "name: s\nmodel: m.gguf\n";
constexpr const char* kBench =
    "benchmarks:\n  - {benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}\n";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(SweepLimitsTest, YamlAliasBombIsRejectedFast) {
  // Nine levels of ten aliases each: 10^9 values once expanded, 1 KB of text.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    text += strformat("a%d: &a%d [", i, i);
    for (int k = 0; k < 10; ++k) {
      text += strformat("%s*a%d", k ? ", " : "", i - 1);
    }
    text += "]\n";
  }
  auto t0 = std::chrono::steady_clock::now();
  Result<SweepSpec> spec = parse_sweep_spec(text, "bomb.yaml");
  EXPECT_LT(seconds_since(t0), 2.0);
  ASSERT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("more than 100000 values once aliases are expanded"),
            std::string::npos)
      << spec.status().message();
}

TEST(SweepLimitsTest, HugeGridIsRejectedBeforeExpansion) {
  // 1000 budgets x 1000 betas = 10^6 configs in 12 KB.
  std::string budgets, betas;
  for (int i = 0; i < 1000; ++i) {
    budgets += strformat("%s%d", i ? ", " : "", 16 + i);
    betas += strformat("%s%g", i ? ", " : "", 1.001 + i * 0.001);
  }
  std::string text = std::string(kHead) + kBench +
                     "methods:\n  - {method: HeadKV-R, head_scores: retrieval, budgets: [" +
                     budgets + "], betas: [" + betas + "]}\n";
  auto t0 = std::chrono::steady_clock::now();
  Result<SweepSpec> spec = parse_sweep_spec(text, "grid.yaml");
  EXPECT_LT(seconds_since(t0), 2.0);
  ASSERT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("1000000 configs"), std::string::npos)
      << spec.status().message();
  EXPECT_NE(spec.status().message().find("limit of 10000"), std::string::npos);
}

TEST(SweepLimitsTest, HugeNeedleRangeIsRejectedNotAllocated) {
  std::string text = std::string(kHead) +
                     "benchmarks:\n  - {benchmark: needle, lengths: {start: 1, stop: 2147483647, "
                     "step: 1}}\nmethods: [{method: FullKV}]\n";
  Result<SweepSpec> spec = parse_sweep_spec(text, "needle.yaml");
  ASSERT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("2147483647 lengths, over the limit of 10000"),
            std::string::npos)
      << spec.status().message();
}

TEST(SweepLimitsTest, TooManyTasksAreRejected) {
  // 30 datasets x 10000 lengths x 11 depths = 3.3M tasks.
  std::string datasets;
  for (int i = 0; i < 30; ++i) {
    datasets += strformat("%sh%d", i ? ", " : "", i);
  }
  std::string text = std::string(kHead) + "benchmarks:\n  - {benchmark: needle, datasets: [" +
                     datasets + "], lengths: {start: 1, stop: 10000, step: 1}, depths: 11}\n" +
                     "methods: [{method: FullKV}]\n";
  Result<SweepSpec> spec = parse_sweep_spec(text, "tasks.yaml");
  ASSERT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("3300000 tasks"), std::string::npos)
      << spec.status().message();
}

TEST(SweepLimitsTest, DeepNestingAndHugeTextAreRejectedBeforeParsing) {
  EXPECT_EQ(parse_sweep_spec(std::string(100000, '['), "deep.yaml").status().code(),
            StatusCode::kInvalidArgument);
  std::string indented = "a:\n";
  for (int i = 0; i < 300; ++i) {
    indented += "- ";
  }
  indented += "x\n";
  EXPECT_NE(parse_sweep_spec(indented, "indent.yaml").status().message().find("indented deeper"),
            std::string::npos);
  Result<SweepSpec> big = parse_sweep_spec(std::string(kMaxSweepTextBytes + 1, '#'), "big.yaml");
  EXPECT_NE(big.status().message().find("over the limit of 1048576 bytes"), std::string::npos);
}

TEST(SweepLimitsTest, LimitSizedGridExpandsQuickly) {
  // 100 budgets x 100 betas = the 10000-config limit, with every config listed twice.
  std::string budgets, betas;
  for (int i = 0; i < 100; ++i) {
    budgets += strformat("%s%d", i ? ", " : "", 16 + i);
    betas += strformat("%s%g", i ? ", " : "", 1.01 + i * 0.01);
  }
  std::string method = "  - {method: HeadKV-R, head_scores: retrieval, budgets: [" + budgets +
                       "], betas: [" + betas + "]}\n";
  Result<SweepSpec> spec =
      parse_sweep_spec(std::string(kHead) + kBench + "methods:\n" + method, "grid.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  spec->methods.push_back(spec->methods[0]);  // duplicates of every point
  auto t0 = std::chrono::steady_clock::now();
  ExpandedSweep sweep = expand_sweep(*spec);
  EXPECT_LT(seconds_since(t0), 2.0);
  EXPECT_EQ(sweep.configs.size(), 10000u);
  EXPECT_EQ(sweep_size(*spec).configs, 20000);  // before de-duplication
}

}  // namespace
}  // namespace hkv::jobs
