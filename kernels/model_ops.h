// Small model-level kernels of the GPU engine: the token-embedding lookup, and the GQA score
// pooling of ALGORITHMS.md §0.4 (a KV head's score is the fp16-rounded mean of its query heads').
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct EmbeddingParams {
  void* out = nullptr;            // [num_tokens, hidden], contiguous
  const void* table = nullptr;    // [vocab, hidden], contiguous
  const int32_t* ids = nullptr;   // [num_tokens], device
  int32_t* error_flag = nullptr;  // [1], device, may be null: set to 1 for an id outside
                                  // [0, vocab); that row is zero-filled
  int64_t num_tokens = 0;
  int64_t hidden = 0;
  int64_t vocab = 0;
  DType dtype = DType::kBf16;  // f32, f16, bf16 (rows copied bit for bit)
  [[nodiscard]] Status validate() const;
};

[[nodiscard]] Status launch_embedding(const EmbeddingParams& params, cudaStream_t stream);

// out[g, j] = round(mean_i scores[g * G + i, j]) over the G = num_q_heads / num_kv_heads query
// heads of KV head g; the sum in float32 in head order, then / G, rounded to dtype.
struct ScorePoolParams {
  void* out = nullptr;           // [num_kv_heads, n], contiguous
  const void* scores = nullptr;  // [num_q_heads, n], contiguous
  int32_t num_q_heads = 0;
  int32_t num_kv_heads = 0;  // divides num_q_heads
  int64_t n = 0;
  DType dtype = DType::kF16;  // f16 or bf16
  [[nodiscard]] Status validate() const;
};

[[nodiscard]] Status launch_score_pool(const ScorePoolParams& params, cudaStream_t stream);

// The softmax row each decode query puts on its cache segment (head detection, ALGORITHMS.md §9):
// out[qi, j] = exp(s_j - max) / sum, s_j = scale * q_qi . k_j over the segment's first kv_len rows,
// all in float32. Entries past kv_len are left untouched.
struct AttentionProbsParams {
  float* out = nullptr;                    // [num_queries, out_row_stride]
  const void* q = nullptr;                 // [num_queries, head_dim], row stride q_row_stride
  const void* k = nullptr;                 // [cu_capacity[S], head_dim]
  const int32_t* cu_capacity = nullptr;    // [S + 1], device
  const int32_t* kv_lens = nullptr;        // [S], device
  const int32_t* query_segment = nullptr;  // [num_queries], device: query -> segment
  int32_t num_queries = 0;
  int32_t head_dim = 0;  // <= 256
  int64_t q_row_stride = 0;
  int64_t out_row_stride = 0;  // >= every kv_len
  float scale = 0.0f;
  DType dtype = DType::kBf16;  // of q and k: f32, f16, bf16
  [[nodiscard]] Status validate() const;
};

[[nodiscard]] Status launch_attention_probs(const AttentionProbsParams& params,
                                            cudaStream_t stream);

}  // namespace hkv::kernels
