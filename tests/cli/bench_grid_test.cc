// `headkv bench`'s sweep grid comes from the sweep expansion and is the grid the M7 figures in
// bench/RESULTS.md were measured on: the same configs in the same order.
#include <gtest/gtest.h>

#include "cli/bench.h"

namespace hkv::cli {
namespace {

using compression::CompressionConfig;
using compression::Method;

// The configs the fixed grid held, in the neutral form sweeps store (unused fields zeroed).
CompressionConfig config(Method method, int32_t budget, double beta, const std::string& scores) {
  CompressionConfig cc = compression::neutral_config(method);
  if (method != Method::kFullKv) {
    cc.budget = budget;
  }
  if (method == Method::kHeadKvR2) {
    cc.beta = beta;
    cc.temp = 1.0;
    cc.head_scores = scores;
  }
  return cc;
}

TEST(BenchGridTest, WithHeadScoresIsTheTwelveConfigSweep) {
  auto grid = bench_sweep_grid("reasoning");
  ASSERT_TRUE(grid.ok()) << grid.status().to_string();
  std::vector<CompressionConfig> want = {config(Method::kFullKv, 0, 0, "")};
  for (double beta : {1.005, 1.01, 1.02, 1.05, 1.1, 1.2, 1.5, 2.0}) {
    want.push_back(config(Method::kHeadKvR2, 128, beta, "reasoning"));
  }
  for (Method m : {Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv}) {
    want.push_back(config(m, 128, 0, ""));
  }
  ASSERT_EQ(grid->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*grid)[i], want[i]) << i << ": " << (*grid)[i].label() << " vs " << want[i].label();
  }
}

TEST(BenchGridTest, WithoutHeadScoresHasNoHeadKvConfig) {
  auto grid = bench_sweep_grid("");
  ASSERT_TRUE(grid.ok()) << grid.status().to_string();
  ASSERT_EQ(grid->size(), 4u);
  EXPECT_EQ((*grid)[0].method, Method::kFullKv);
  EXPECT_EQ((*grid)[3].method, Method::kAdaSnapKv);
}

TEST(BenchGridTest, AnUnknownPhaseIsRefused) {
  BenchOptions o;
  o.what = "decoding";
  EXPECT_EQ(run_bench(o), 1);
}

}  // namespace
}  // namespace hkv::cli
