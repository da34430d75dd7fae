// Capacity-balanced head placement (M11): on the published Llama-3-8B and Mistral-7B score files it
// beats contiguous head ranges at every budget from 64 to 1024, at 2 and 4 ranks; the exact
// search is optimal on small random layers; placements are valid partitions.
#include "head_scores/placement.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "head_scores/score_file.h"
#include "tests/testing/data.h"

namespace hkv::head_scores {
namespace {

// Every head once per layer, the same count on every rank.
void expect_valid(const HeadPlacement& p) {
  ASSERT_EQ(static_cast<int32_t>(p.order.size()), p.num_layers);
  for (const std::vector<int32_t>& layer : p.order) {
    std::vector<int32_t> sorted = layer;
    std::sort(sorted.begin(), sorted.end());
    for (int32_t h = 0; h < p.num_kv_heads; ++h) {
      EXPECT_EQ(sorted[h], h);
    }
  }
}

// The largest rank load of the best equal-cardinality partition, by trying every assignment.
int64_t brute_force_max(const std::vector<int64_t>& load, int32_t ranks) {
  const int32_t n = static_cast<int32_t>(load.size()), per = n / ranks;
  int64_t best = INT64_MAX;
  std::vector<int32_t> a(n, 0);
  while (true) {
    std::vector<int64_t> s(ranks, 0);
    std::vector<int32_t> c(ranks, 0);
    for (int32_t h = 0; h < n; ++h) {
      s[a[h]] += load[h];
      ++c[a[h]];
    }
    if (std::all_of(c.begin(), c.end(), [&](int32_t x) { return x == per; })) {
      best = std::min(best, *std::max_element(s.begin(), s.end()));
    }
    int32_t i = 0;
    while (i < n && ++a[i] == ranks) {
      a[i++] = 0;
    }
    if (i == n) {
      return best;
    }
  }
}

TEST(PlacementTest, ExactSearchIsOptimalOnSmallLayers) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int32_t ranks = trial % 2 ? 2 : 4;
    std::vector<int64_t> load(8);
    for (int64_t& x : load) {
      x = std::exponential_distribution<double>(0.01)(rng) + 2;  // heavy-tailed like HeadKV caps
    }
    auto p = balanced_placement(load, 1, 8, ranks);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    expect_valid(*p);
    double total = 0;
    for (int64_t x : load) {
      total += static_cast<double>(x);
    }
    const double got = placement_imbalance(*p, load) * total / ranks;
    EXPECT_NEAR(got, static_cast<double>(brute_force_max(load, ranks)), 1e-6) << "trial " << trial;
  }
}

TEST(PlacementTest, ShapesThatDoNotSplitAreRejected) {
  EXPECT_EQ(contiguous_placement(2, 8, 3).status().code(), StatusCode::kInvalidArgument);
  std::vector<int64_t> loads(16, 1);
  EXPECT_EQ(balanced_placement(loads, 2, 8, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(balanced_placement(loads, 3, 8, 2).status().code(), StatusCode::kInvalidArgument);
  auto c = contiguous_placement(2, 8, 4);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rank_of(1, 5), 2);
  EXPECT_DOUBLE_EQ(placement_imbalance(*c, loads), 1.0);
}

// The published score files: HeadKV-R2 / HeadKV-R capacities at B = 64..1024 (beta 1.01, temp 1,
// reference layout), each KV head's load = its 4 query heads' cache entries.
TEST(PlacementTest, BeatsContiguousOnThePublishedScoreFiles) {
  const char* files[] = {"Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json",
                         "Meta-Llama-3-8B-Instruct_retrieval_heads.json",
                         "Mistral-7B-Instruct-v0.2_retrieval_reasoning_heads.json",
                         "Mistral-7B-Instruct-v0.2_retrieval_heads.json"};
  std::printf("%-58s %5s %5s %11s %11s\n", "score file", "B", "ranks", "contiguous", "balanced");
  for (const char* file : files) {
    const std::string path = testing::repo_data_dir() + "/head_scores/" + file;
    HKV_ASSERT_DATA(path);
    auto table = load_score_file(path);
    ASSERT_TRUE(table.ok()) << table.status().to_string();
    for (int32_t budget : {64, 128, 256, 512, 1024}) {
      auto caps = headkv_capacities(*table, budget, 1.01, 1.0);
      ASSERT_TRUE(caps.ok()) << caps.status().to_string();
      auto loads = kv_head_loads(*caps, 8);
      ASSERT_TRUE(loads.ok());
      for (int32_t ranks : {2, 4}) {
        auto contiguous = contiguous_placement(table->num_layers, 8, ranks);
        auto balanced = balanced_placement(*loads, table->num_layers, 8, ranks);
        ASSERT_TRUE(contiguous.ok() && balanced.ok());
        expect_valid(*balanced);
        const double before = placement_imbalance(*contiguous, *loads);
        const double after = placement_imbalance(*balanced, *loads);
        std::printf("%-58s %5d %5d %10.3fx %10.3fx\n", file, budget, ranks, before, after);
        EXPECT_LT(after, before) << file << " B=" << budget << " ranks=" << ranks;
        EXPECT_GE(after, 1.0);
      }
    }
  }
}

TEST(PlacementTest, LoadsSumEveryLayoutsTables) {
  // 1 layer, 4 query heads over 2 KV heads: a reference table (per query head) and a gqa table.
  auto loads = sum_kv_head_loads({{1, 2, 3, 4}, {}, {10, 20}}, 1, 4, 2);
  ASSERT_TRUE(loads.ok()) << loads.status().to_string();
  EXPECT_EQ(*loads, (std::vector<int64_t>{1 + 2 + 10, 3 + 4 + 20}));
  auto bad = sum_kv_head_loads({{1, 2, 3}}, 1, 4, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("capacity table 0 has 3 entries, expected 1 layers x 4"),
            std::string::npos)
      << bad.status().to_string();
}

}  // namespace
}  // namespace hkv::head_scores
