// The tensor-parallel plan a worker loads a model with: balanced for per-head budgets (and never
// worse than contiguous), contiguous when every head is alike, a clear error for shapes that do
// not split.
#include "worker/tp_placement.h"

#include <gtest/gtest.h>

namespace hkv::worker {
namespace {

model::LlamaConfig shape(int32_t layers, int32_t q_heads, int32_t kv_heads) {
  model::LlamaConfig c;
  c.num_layers = layers;
  c.num_q_heads = q_heads;
  c.num_kv_heads = kv_heads;
  return c;
}

TEST(TpPlacementTest, PerHeadBudgetsArePlacedToBalanceTheRanks) {
  // 2 layers, 8 query / 4 KV heads; KV heads 0 and 1 of each layer carry most of the cache.
  std::vector<int32_t> caps = {100, 100, 100, 100, 1, 1, 1, 1, 100, 100, 100, 100, 1, 1, 1, 1};
  auto plan = plan_tensor_parallel(shape(2, 8, 4), 2, {{}, caps});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_TRUE(plan->balanced);
  EXPECT_LT(plan->imbalance, plan->contiguous_imbalance);
  ASSERT_EQ(plan->order.size(), 2u);
  for (const auto& layer : plan->order) {
    // The two heavy KV heads (200 entries each, against 2) are not on the same rank.
    const bool first_rank_has_0 = layer[0] == 0 || layer[1] == 0;
    const bool first_rank_has_1 = layer[0] == 1 || layer[1] == 1;
    EXPECT_NE(first_rank_has_0, first_rank_has_1);
  }
  EXPECT_NE(plan->summary().find("TP=2, balanced KV-head placement: slowest rank"),
            std::string::npos)
      << plan->summary();
}

TEST(TpPlacementTest, NoPerHeadBudgetsMeansContiguous) {
  auto plan = plan_tensor_parallel(shape(3, 8, 4), 4, {{}, {}});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->balanced);
  EXPECT_EQ(plan->order[2], (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_NE(plan->summary().find("contiguous"), std::string::npos);
  auto bad = plan_tensor_parallel(shape(3, 9, 3), 2, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hkv::worker
