// Detection scoring rules on crafted attention rows: copy and no-copy, spans, top-N mass.
#include "head_scores/detection.h"

#include <gtest/gtest.h>

namespace hkv::head_scores {
namespace {

TEST(DetectionSpanTest, FirstWindowAboveOverlapThreshold) {
  std::vector<int32_t> prompt = {5, 6, 7, 10, 11, 12, 13, 8, 10, 11, 12, 13};
  std::vector<int32_t> needle = {10, 11, 12, 13};
  TokenSpan s = find_span_by_overlap(prompt, needle);
  EXPECT_EQ(s.begin, 3);
  EXPECT_EQ(s.end, 7);
  EXPECT_FALSE(find_span_by_overlap(prompt, std::vector<int32_t>{99, 98}).found());
  // 9 of 10 distinct tokens is exactly 0.9: not > 0.9.
  std::vector<int32_t> almost = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
  std::vector<int32_t> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_FALSE(find_span_by_overlap(almost, ten).found());
}

TEST(DetectionSpanTest, AfterBosKeepsTheLastMaximum) {
  // BOS = 1. Two inserted copies of the answer; the later one wins on a tie.
  std::vector<int32_t> prompt = {1, 4, 4, 1, 20, 21, 22, 9, 1, 20, 21, 22, 9};
  std::vector<int32_t> answer = {20, 21, 22};
  TokenSpan s = find_span_after_bos(prompt, answer, 1);
  EXPECT_EQ(s.begin, 9);
  EXPECT_EQ(s.end, 12);
}

TEST(DetectionScoreTest, RetrievalCountsOnlyCopies) {
  std::vector<int32_t> prompt = {0, 0, 30, 31, 32, 0};
  HeadScoreAccumulator acc(DetectionKind::kRetrieval, 1, 2, {2, 5}, prompt);
  // Step 1: head 0 attends to position 3 (token 31) and the step generates 31: a copy.
  //         head 1 attends to position 4 (token 32) but 31 is generated: no copy.
  acc.observe(0, 0, std::vector<float>{0.1f, 0.1f, 0.1f, 0.6f, 0.05f, 0.05f});
  acc.observe(0, 1, std::vector<float>{0.1f, 0.1f, 0.1f, 0.1f, 0.5f, 0.1f});
  acc.end_step(31);
  // Step 2: head 0's top-1 is outside the span.
  acc.observe(0, 0, std::vector<float>{0.9f, 0.02f, 0.02f, 0.02f, 0.02f, 0.02f});
  acc.observe(0, 1, std::vector<float>{0.1f, 0.1f, 0.1f, 0.1f, 0.5f, 0.1f});
  acc.end_step(32);
  EXPECT_DOUBLE_EQ(acc.scores()[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(acc.scores()[1], 1.0 / 3);
}

TEST(DetectionScoreTest, ReasoningSumsTopNMassInsideTheSpan) {
  std::vector<int32_t> prompt(8, 0);
  HeadScoreAccumulator acc(DetectionKind::kRetrievalReasoning, 1, 1, {4, 6}, prompt);
  // N = 2: top-2 are positions 5 (0.4) and 1 (0.3); only 5 is in the span -> 0.4 / 2.
  acc.observe(0, 0, std::vector<float>{0.05f, 0.3f, 0.05f, 0.05f, 0.1f, 0.4f, 0.05f, 0.0f});
  acc.end_step(0);
  EXPECT_NEAR(acc.scores()[0], 0.2, 1e-7);
  // Ties: top-2 of equal values takes the lower positions (4, 5), both in the span.
  acc.observe(0, 0, std::vector<float>{0.0f, 0.0f, 0.0f, 0.0f, 0.25f, 0.25f, 0.25f, 0.25f});
  EXPECT_NEAR(acc.scores()[0], 0.2 + 0.25, 1e-7);
}

TEST(DetectionScoreTest, TopKTieOrder) {
  std::vector<float> v = {0.2f, 0.5f, 0.5f, 0.1f};
  EXPECT_EQ(top_k_indices(v, 3), (std::vector<int64_t>{1, 2, 0}));
}

}  // namespace
}  // namespace hkv::head_scores
