// The shared primitive of every compression method (ALGORITHMS.md §0.4): the last window's queries
// over all keys, softmax over the full row, reduced over the window rows, then 1-D pooling. With
// fp16 emulation on (the reproduction default) every rounding step of the reference's fp16
// pipeline is reproduced; values are returned as floats holding fp16 values.
#pragma once

#include <cstdint>
#include <vector>

#include "compression/keep_policy.h"
#include "cpu_engine/compression_config.h"

namespace hkv::model {

struct WindowScoreParams {
  const float* window_q =
      nullptr;                  // [num_heads, window_rows, head_dim]; the last `window` rows used
  const float* keys = nullptr;  // [num_kv_heads, num_tokens, head_dim]
  int32_t num_heads = 0;        // query heads
  int32_t num_kv_heads = 0;
  int32_t window_rows = 0;
  int64_t num_tokens = 0;
  int32_t head_dim = 0;
  int32_t window = 8;
  int32_t kernel = 7;
  Pooling pooling = Pooling::kMax;
  ScoreReduce reduce = ScoreReduce::kSum;
  bool fp16 = true;
};

// Scores S[h, j] for prefix positions j < num_tokens - window: [num_heads, num_tokens - window].
std::vector<float> window_scores(const WindowScoreParams& p);

// GQA layout: the score of KV head g is the mean of its query heads' pooled scores (fp16-rounded
// when fp16). [num_kv_heads, n].
std::vector<float> pool_scores_to_kv_heads(const std::vector<float>& scores,
                                           int32_t num_heads,
                                           int32_t num_kv_heads,
                                           int64_t n,
                                           bool fp16);

// Positions 0..n-1 ordered by score descending, ties by lower position (compression/).
using compression::order_by_score;

}  // namespace hkv::model
