// The observation-window score of ALGORITHMS.md §0.4, per query head: the last `window` queries
// against all keys, fp16/bf16 rounding at every step the reference rounds, softmax over the full
// key axis, reduced over the window rows and pooled along the prefix. Output [num_q_heads, L-w].
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

enum class ScoreReduce { kSum, kMean };  // SnapKV/PyramidKV: sum; Ada-SnapKV/HeadKV: mean
enum class ScorePool { kMax, kAvg };     // the runners use maxpool

struct WindowScoreParams {
  void* scores = nullptr;     // [num_q_heads, num_tokens - window], dtype, contiguous
  const void* q = nullptr;    // [num_q_heads, window, head_dim]: the LAST window queries, post-RoPE
  const void* k = nullptr;    // [num_kv_heads, num_tokens, head_dim], post-RoPE
  void* workspace = nullptr;  // window_score_workspace_bytes(*this) bytes, 16-byte aligned
  int64_t workspace_bytes = 0;
  int32_t num_q_heads = 0;
  int32_t num_kv_heads = 0;   // q head h reads kv head h / (num_q_heads / num_kv_heads)
  int32_t window = 8;         // w, 1..64
  int32_t head_dim = 128;     // multiple of 8, window * head_dim <= 12288
  int64_t num_tokens = 0;     // L (prompt length incl. BOS), > window
  int64_t q_head_stride = 0;  // elements; all four strides multiples of 8
  int64_t q_row_stride = 0;
  int64_t k_head_stride = 0;
  int64_t k_row_stride = 0;
  int32_t kernel_size = 7;  // odd, 1..255; stride 1, padding kernel_size / 2
  ScoreReduce reduce = ScoreReduce::kMean;
  ScorePool pool = ScorePool::kMax;
  DType dtype = DType::kF16;  // of q, k and scores: f16 (the reference's) or bf16

  [[nodiscard]] Status validate() const;
};

// Bytes of scratch launch_window_score needs (per-row partial maxima and sums): a few hundred KB
// at L = 32k. Depends only on num_q_heads, window and num_tokens.
int64_t window_score_workspace_bytes(const WindowScoreParams& params);

// Enqueues three kernels on `stream` (row max, row sum, column reduce + pool); never materialises
// the [window, L] probabilities. Returns validation and launch errors only.
[[nodiscard]] Status launch_window_score(const WindowScoreParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
