// Causal GQA prefill attention, flash-attention style: query tiles stream over key tiles with an
// online softmax (fp32 running max / sum / output), so memory is O(tokens), never tokens².
// Query row i sees keys 0 .. i + (kv_len - num_q_tokens): prefill in chunks passes the tail of the
// sequence as queries and the whole prefix as keys.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct AttentionPrefillParams {
  void* out = nullptr;      // [num_q_tokens, num_q_heads, head_dim]
  const void* q = nullptr;  // [num_q_tokens, num_q_heads, head_dim]
  const void* k = nullptr;  // [kv_len, num_kv_heads, head_dim]
  const void* v = nullptr;  // [kv_len, num_kv_heads, head_dim]
  int64_t num_q_tokens = 0;
  int64_t kv_len = 0;  // >= num_q_tokens
  int32_t num_q_heads = 0;
  int32_t num_kv_heads = 0;    // q head h uses kv head h / (num_q_heads / num_kv_heads)
  int32_t head_dim = 0;        // 64 or 128
  float scale = 0.0f;          // usually 1/sqrt(head_dim)
  DType dtype = DType::kBf16;  // of q, k, v and out: f32, f16 or bf16

  [[nodiscard]] Status validate() const;
};

// Enqueues on `stream`. Returns validation and launch errors only.
[[nodiscard]] Status launch_attention_prefill(const AttentionPrefillParams& params,
                                              cudaStream_t stream);

}  // namespace hkv::kernels
