// The HeadKV capacity formula against ALGORITHMS.md §4.2: the pool split table, the full 32 x 32
// test vector, the HeadKV-R facts, GQA pooling with ties, the Ada-SnapKV floor, and the errors.
#include "head_scores/budget.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "head_scores/score_file.h"
#include "tests/testing/data.h"

namespace hkv::head_scores {
namespace {

constexpr const char* kLlamaR = "Meta-Llama-3-8B-Instruct_retrieval_heads.json";
constexpr const char* kLlamaR2 = "Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json";
constexpr const char* kMistralR = "Mistral-7B-Instruct-v0.2_retrieval_heads.json";
constexpr const char* kMistralR2 = "Mistral-7B-Instruct-v0.2_retrieval_reasoning_heads.json";

// ALGORITHMS.md §4.2 test vector, copied verbatim (so some lines exceed 100 columns):
// Llama-3-8B-Instruct R2, B = 128, beta = 1.01, temp = 1. Rows are layers, columns heads 0..31.
constexpr const char* kLlamaR2B128Beta101 =
    R"(L00: 2 5 3 11 4 4 5 3 12 18 5 37 17 26 22 5 13 7 14 20 32 49 35 3 4 3 3 3 10 4 5 2
L01: 2 2 5 2 2 2 2 4 2 8 2 2 10 4 5 3 2 2 2 2 2 2 10 63 2 3 2 3 31 9 3 8
L02: 3 3 2 3 2 17 9 2 3 3 3 3 18 5 59 42 2 3 3 14 126 281 336 61 3 99 6 4 2 3 2 2
L03: 36 9 6 3 3 3 4 3 2 2 2 3 57 16 8 13 3 2 2 3 12 20 24 9 12 36 4 17 5 7 22 5
L04: 15 17 9 4 4 13 39 6 20 3 8 4 3 2 3 37 788 2 2 145 19 10 3 20 2 2 3 2 5 6 3 4
L05: 2 29 4 3 5 370 20 38 869 552 593 387 3 2 3 3 12 99 34 19 7 8 26 25 11 2 2 5 2 2 3 24
L06: 6 5 29 6 17 13 78 17 2 41 3 3 3 2 4 2 4 20 4 2 26 28 208 3 10 28 37 5 125 175 11 700
L07: 3 3 3 191 3 4 12 98 8 8 15 4 3 4 14 7 14 17 15 7 2 25 87 208 117 331 14 10 10 17 10 6
L08: 324 1347 60 158 7 5 19 35 481 458 7 1741 32 12 24 26 25 57 45 82 7 5 3 4 158 223 80 56 29 113 128 546
L09: 84 272 260 90 15 14 16 25 2 2 3 2 191 271 119 40 5 12 20 79 183 6 29 8 10 104 12 985 118 117 4 846
L10: 46 617 687 399 4 34 37 81 4 4 7 4 42 869 786 11 8 63 446 121 58 59 25 38 47 44 3 150 110 225 14 650
L11: 5 64 55 6 156 427 382 181 17 6 13 4 586 13 41 38 2 2 4 3 14 121 115 117 13 18 25 5 48 4 17 3
L12: 2 50 8 3 8 8 8 6 5 7 27 9 3 4 7 3 3 3 2 2 4 5 20 4 8 5 5 6 11 14 5 11
L13: 242 597 233 495 724 312 793 33 304 252 223 431 284 540 192 130 353 455 1191 59 81 617 13 25 5 27 283 278 7 3 270 31
L14: 338 221 299 262 112 517 65 74 2 2 4 2 104 718 107 51 421 362 508 977 664 66 900 73 209 97 3 49 322 549 756 892
L15: 3 854 151 560 21 10 3 2 3 4 26 195 7 133 336 115 42 121 22 5 167 263 207 189 42 46 493 32 116 971 1821 4
L16: 409 1592 201 102 12 6 5 9 931 188 213 170 2 2 2 2 17 14 57 941 732 631 10 667 247 815 721 469 3 2 6 4
L17: 181 56 12 93 18 4 65 15 59 27 51 2 13 9 12 27 32 19 24 10 4 955 72 334 971 393 861 434 322 1230 8 294
L18: 227 5 20 3 224 28 27 2 622 428 4 16 4 3 20 9 358 19 190 131 664 34 367 128 10 3 3 3 225 65 29 13
L19: 223 80 289 890 19 4 8 2 7 568 9 68 324 714 603 91 3 3 5 8 14 22 18 68 7 24 3 145 5 4 3 4
L20: 205 1265 176 444 4 6 13 5 3 240 140 29 93 403 1063 194 8 6 6 4 502 2 5 1020 636 589 1230 120 2 3 223 20
L21: 30 299 335 54 2 2 2 2 359 3 3 552 40 110 402 142 2 2 3 3 27 26 38 15 197 70 446 57 71 95 189 340
L22: 198 385 379 17 6 8 9 3 714 58 148 144 595 567 892 411 3 2 6 3 19 9 10 14 7 12 4 118 361 615 25 104
L23: 9 6 4 5 24 464 222 84 24 5 4 5 146 152 107 3 3 4 18 5 302 15 574 7 32 244 15 462 3 2 2 2
L24: 6 18 14 118 3 3 3 11 4 11 5 7 3 3 4 3 320 325 228 27 305 8 367 369 363 326 417 1250 2 2 2 2
L25: 7 7 25 10 141 550 276 360 3 3 3 2 284 351 98 102 6 92 99 3 3 3 3 3 2 3 3 3 2 2 2 2
L26: 253 23 117 361 21 5 11 11 4 6 11 4 257 522 158 682 8 4 12 44 24 5 7 7 8 7 8 202 24 225 181 207
L27: 10 7 8 8 293 780 663 980 5 2 3 7 5 13 3 8 202 39 20 44 427 128 309 249 13 7 11 8 99 3 17 16
L28: 222 5 8 39 3 2 3 3 11 3 17 14 8 204 39 235 6 18 189 6 75 42 4 86 46 11 3 316 7 10 30 3
L29: 3 3 17 3 5 4 4 6 10 509 56 262 4 5 6 4 14 8 4 5 262 173 88 54 2 3 3 3 31 7 28 68
L30: 70 90 231 244 11 11 55 7 18 62 3 404 311 58 342 337 40 46 88 7 31 313 3 5 198 98 368 296 12 305 310 27
L31: 4 5 10 6 3 3 4 55 4 3 4 51 3 35 4 2 53 19 4 15 149 184 17 3 3 3 7 8 7 53 145 4)";

std::string score_path(const std::string& file) {
  return testing::repo_data_dir() + "/head_scores/" + file;
}

// Loads a shipped reference file; fails the test when it is missing.
#define HKV_LOAD_SCORES_OR_SKIP(var, file)                             \
  std::string var##_path = score_path(file);                           \
  HKV_ASSERT_DATA(var##_path);                                         \
  auto var##_result = load_score_file(var##_path);                     \
  ASSERT_TRUE(var##_result.ok()) << var##_result.status().to_string(); \
  const HeadScoreTable& var = *var##_result

std::vector<int32_t> parse_rows(const std::string& text) {
  std::vector<int32_t> caps;
  std::istringstream in(text);
  std::string label;
  int32_t value = 0;
  while (in >> label) {
    while (in >> value) {
      caps.push_back(value);
    }
    in.clear();
  }
  return caps;
}

void expect_invalid(const Status& status, const std::string& needle) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.to_string();
  EXPECT_NE(status.message().find(needle), std::string::npos) << status.message();
}

TEST(PythonArithmeticTest, FloorDivisionAndRounding) {
  EXPECT_EQ(python_floor_div(120.0, 1.01), 118.0);
  EXPECT_EQ(python_floor_div(1016.0, 1.005), 1010.0);
  EXPECT_EQ(python_floor_div(7.0, 2.0), 3.0);
  EXPECT_EQ(python_floor_div(-7.0, 2.0), -4.0);
  EXPECT_EQ(python_floor_div(1.0, 0.1), 9.0);  // Python: 1 // 0.1 == 9.0, though 1 / 0.1 == 10.0
  EXPECT_EQ(round_half_even(0.5), 0.0);
  EXPECT_EQ(round_half_even(1.5), 2.0);
  EXPECT_EQ(round_half_even(2.5), 2.0);
  EXPECT_EQ(round_half_even(2.5000001), 3.0);
  EXPECT_EQ(round_half_even(-0.5), 0.0);
  EXPECT_EQ(round_half_even(-1.5), -2.0);
  EXPECT_EQ(round_half_even(3.49), 3.0);
}

TEST(PoolSplitTest, MatchesSection42Table) {
  // quota / min_num per B (rows) and beta (columns), ALGORITHMS.md §4.2.
  const double betas[] = {1.005, 1.01, 1.02, 1.1, 1.2, 1.5, 2, 5, 10};
  const int32_t budgets[] = {64, 128, 256, 512, 1024};
  const int32_t quota[5][9] = {{55, 55, 54, 50, 46, 37, 28, 11, 5},
                               {119, 118, 117, 109, 100, 80, 60, 24, 12},
                               {246, 245, 243, 225, 206, 165, 124, 49, 24},
                               {501, 499, 494, 458, 420, 336, 252, 100, 50},
                               {1010, 1005, 996, 923, 846, 677, 508, 203, 101}};
  const int32_t min_num[5][9] = {{1, 1, 2, 6, 10, 19, 28, 45, 51},
                                 {1, 2, 3, 11, 20, 40, 60, 96, 108},
                                 {2, 3, 5, 23, 42, 83, 124, 199, 224},
                                 {3, 5, 10, 46, 84, 168, 252, 404, 454},
                                 {6, 11, 20, 93, 170, 339, 508, 813, 915}};
  for (int b = 0; b < 5; ++b) {
    for (int k = 0; k < 9; ++k) {
      auto split = headkv_pool_split(budgets[b], betas[k], kDefaultWindow, 1024);
      ASSERT_TRUE(split.ok()) << split.status().to_string();
      EXPECT_EQ(split->selected, budgets[b] - 8);
      EXPECT_EQ(split->quota, quota[b][k]) << "B=" << budgets[b] << " beta=" << betas[k];
      EXPECT_EQ(split->min_num, min_num[b][k]) << "B=" << budgets[b] << " beta=" << betas[k];
      EXPECT_EQ(split->pool, quota[b][k] * 1024.0);
    }
  }
}

TEST(HeadKvCapacitiesTest, LlamaR2KnownAnswerTable) {
  HKV_LOAD_SCORES_OR_SKIP(table, kLlamaR2);
  auto caps = headkv_capacities(table, 128, 1.01, 1.0);
  ASSERT_TRUE(caps.ok()) << caps.status().to_string();
  std::vector<int32_t> expected = parse_rows(kLlamaR2B128Beta101);
  ASSERT_EQ(expected.size(), 1024u);
  ASSERT_EQ(caps->caps.size(), 1024u);
  for (int32_t l = 0; l < 32; ++l) {
    for (int32_t h = 0; h < 32; ++h) {
      EXPECT_EQ(caps->cap(l, h), expected[l * 32 + h]) << "head " << l << "-" << h;
    }
  }
  EXPECT_EQ(caps->total(), 122864);
  EXPECT_EQ(caps->split.min_num, 2.0);
  EXPECT_EQ(caps->split.pool, 120832.0);
  EXPECT_EQ(*std::max_element(caps->caps.begin(), caps->caps.end()), 1821);
  EXPECT_EQ(caps->cap(15, 30), 1821);
}

TEST(HeadKvCapacitiesTest, LlamaRLargestCaps) {
  HKV_LOAD_SCORES_OR_SKIP(table, kLlamaR);
  auto caps = headkv_capacities(table, 128, 1.01, 1.0);
  ASSERT_TRUE(caps.ok()) << caps.status().to_string();
  EXPECT_EQ(caps->cap(15, 30), 6157);
  EXPECT_EQ(caps->cap(16, 20), 3670);
  EXPECT_EQ(caps->cap(27, 7), 3492);
  EXPECT_EQ(caps->cap(24, 27), 3457);
  EXPECT_EQ(caps->cap(8, 1), 3261);
  std::vector<int32_t> sorted = caps->caps;
  std::sort(sorted.rbegin(), sorted.rend());
  EXPECT_EQ(std::vector<int32_t>(sorted.begin(), sorted.begin() + 5),
            (std::vector<int32_t>{6157, 3670, 3492, 3457, 3261}));
  EXPECT_LT(sorted[5], 3261);
  EXPECT_EQ(std::count_if(sorted.begin(), sorted.end(), [](int32_t c) { return c > 2; }), 296);
}

TEST(HeadKvCapacitiesTest, MaxCapExamplesOfSection42) {
  HKV_LOAD_SCORES_OR_SKIP(table, kLlamaR);
  auto small = headkv_capacities(table, 128, 1.005, 1.0);
  ASSERT_TRUE(small.ok()) << small.status().to_string();
  EXPECT_EQ(small->cap(15, 30), 6208);
  EXPECT_EQ(*std::max_element(small->caps.begin(), small->caps.end()), 6208);
  auto large = headkv_capacities(table, 1024, 1.005, 1.0);
  ASSERT_TRUE(large.ok()) << large.status().to_string();
  EXPECT_EQ(*std::max_element(large->caps.begin(), large->caps.end()), 52691);
}

TEST(HeadKvCapacitiesTest, TotalDeviationRangeOfSection42) {
  // "Across the 4 files x B in {64,128,1024} x the 8 swept beta, the deviation [of sum cap from
  // 1024 C] ranged from -61 to +15 entries."
  const double betas[] = {1.005, 1.01, 1.1, 1.2, 1.5, 2, 5, 10};
  int64_t lowest = 0;
  int64_t highest = 0;
  for (const char* file : {kLlamaR, kLlamaR2, kMistralR, kMistralR2}) {
    HKV_LOAD_SCORES_OR_SKIP(table, file);
    for (int32_t budget : {64, 128, 1024}) {
      for (double beta : betas) {
        auto caps = headkv_capacities(table, budget, beta, 1.0);
        ASSERT_TRUE(caps.ok()) << caps.status().to_string();
        int64_t deviation = caps->total() - 1024 * static_cast<int64_t>(budget - 8);
        lowest = std::min(lowest, deviation);
        highest = std::max(highest, deviation);
      }
    }
  }
  EXPECT_EQ(lowest, -61);
  EXPECT_EQ(highest, 15);
}

TEST(HeadKvCapacitiesTest, RejectsBadParameters) {
  auto table = make_score_table(1, 2, {{1.0}, {3.0}});
  ASSERT_TRUE(table.ok());
  expect_invalid(headkv_capacities(*table, 128, 0.99, 1.0).status(),
                 "beta must be >= 1 (got 0.99)");
  expect_invalid(headkv_capacities(*table, 8, 1.01, 1.0).status(),
                 "budget B=8 must exceed the window w=8");
  expect_invalid(headkv_capacities(*table, 5, 1.01, 1.0).status(),
                 "budget B=5 must exceed the window w=8");
  expect_invalid(headkv_capacities(*table, 128, 1.01, 0.0).status(), "temp must be > 0 (got 0)");
  expect_invalid(headkv_capacities(*table, 128, 1.01, -1.0).status(), "temp must be > 0 (got -1)");
  auto zeros = make_score_table(1, 2, {{0.0}, {0.0}});
  ASSERT_TRUE(zeros.ok());
  expect_invalid(headkv_capacities(*zeros, 128, 1.01, 1.0).status(), "every head score mean is 0");
}

TEST(HeadKvCapacitiesTest, SmallTableByHand) {
  // means 1 and 3: P = (0.25, 0.75); B = 18, w = 8: C = 10, beta = 2: q = 5, pool = 10, min 5.
  auto table = make_score_table(1, 2, {{1.0}, {3.0}});
  ASSERT_TRUE(table.ok());
  auto caps = headkv_capacities(*table, 18, 2.0, 1.0);
  ASSERT_TRUE(caps.ok()) << caps.status().to_string();
  EXPECT_EQ(caps->caps, (std::vector<int32_t>{8, 12}));  // 7.5 -> 8 (even), 12.5 -> 12 (even)
  // temp = 2 sharpens: p = (1, 9) / 10, caps = 6, 14.
  caps = headkv_capacities(*table, 18, 2.0, 2.0);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->caps, (std::vector<int32_t>{6, 14}));
}

TEST(NormalizedScoresTest, SumsToOneAndKeepsZeros) {
  auto p = normalized_scores(std::vector<double>{0.0, 1.0, 3.0}, 1.0);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<double>{0.0, 0.25, 0.75}));
  p = normalized_scores(std::vector<double>{0.0, 1.0, 3.0}, 0.5);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)[0], 0.0);
  EXPECT_NEAR((*p)[1], 1.0 / (1.0 + std::sqrt(3.0)), 1e-15);
  expect_invalid(normalized_scores(std::vector<double>{1.0, -0.5}, 1.0).status(),
                 "head score mean [1] = -0.5 must be a finite number >= 0");
  expect_invalid(normalized_scores(std::vector<double>{}, 1.0).status(), "no head scores");
}

TEST(GqaCapacitiesTest, MeanOfGroupRoundedHalfEven) {
  // One layer, 8 query heads -> 2 KV heads, then -> 4 KV heads (pairs).
  const std::vector<int32_t> caps = {1, 2, 3, 4, 2, 3, 4, 5};
  auto four = gqa_capacities(caps, 8, 2);
  ASSERT_TRUE(four.ok()) << four.status().to_string();
  EXPECT_EQ(*four, (std::vector<int32_t>{2, 4}));  // 2.5 -> 2, 3.5 -> 4
  auto pairs = gqa_capacities(caps, 8, 4);
  ASSERT_TRUE(pairs.ok());
  EXPECT_EQ(*pairs, (std::vector<int32_t>{2, 4, 2, 4}));  // 1.5->2, 3.5->4, 2.5->2, 4.5->4
  // Two layers of 4 query heads -> 1 KV head each; non-tie fractions round to nearest.
  auto layers = gqa_capacities(std::vector<int32_t>{1, 1, 1, 2, 1, 2, 2, 2}, 4, 1);
  ASSERT_TRUE(layers.ok());
  EXPECT_EQ(*layers, (std::vector<int32_t>{1, 2}));  // 1.25 -> 1, 1.75 -> 2
  // Group size 1 is the identity.
  auto same = gqa_capacities(caps, 8, 8);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, caps);
}

TEST(GqaCapacitiesTest, RejectsShapesThatDoNotDivide) {
  const std::vector<int32_t> caps = {1, 2, 3, 4, 5, 6};
  expect_invalid(gqa_capacities(caps, 6, 4).status(),
                 "num_q_heads=6 must be a positive multiple of num_kv_heads=4");
  expect_invalid(gqa_capacities(caps, 4, 2).status(),
                 "6 capacities are not a whole number of layers of 4 query heads");
  expect_invalid(gqa_capacities(caps, 6, 0).status(), "num_kv_heads=0");
}

TEST(GqaCapacitiesTest, LlamaR2PooledOverGroupsOfFour) {
  HKV_LOAD_SCORES_OR_SKIP(table, kLlamaR2);
  auto caps = headkv_capacities(table, 128, 1.01, 1.0);
  ASSERT_TRUE(caps.ok());
  auto kv = gqa_capacities(caps->caps, 32, 8);
  ASSERT_TRUE(kv.ok()) << kv.status().to_string();
  ASSERT_EQ(kv->size(), 256u);
  // Layer 15 of the test vector: (3 854 151 560) / 4 = 392; (42 121 22 5) / 4 = 47.5 -> 48 and
  // (167 263 207 189) / 4 = 206.5 -> 206 are ties.
  EXPECT_EQ(std::vector<int32_t>(kv->begin() + 15 * 8, kv->begin() + 16 * 8),
            (std::vector<int32_t>{392, 9, 57, 148, 48, 206, 153, 728}));
  int64_t sum = 0;
  for (int32_t c : *kv) {
    sum += c;
  }
  EXPECT_EQ(sum, 30714);  // torch.round(caps.reshape(32, 8, 4).mean(-1)).sum()
}

TEST(AdaSnapKvFloorTest, MatchesSection3) {
  const std::pair<int32_t, int32_t> cases[] = {
      {64, 11}, {128, 24}, {256, 49}, {512, 100}, {1024, 203}};
  for (auto [budget, expected] : cases) {
    auto floor_cap = ada_snapkv_floor(budget);
    ASSERT_TRUE(floor_cap.ok());
    EXPECT_EQ(*floor_cap, expected) << "B=" << budget;
  }
  expect_invalid(ada_snapkv_floor(8).status(), "budget B=8 must exceed the window w=8");
}

}  // namespace
}  // namespace hkv::head_scores
