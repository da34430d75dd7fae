// Rotary position embedding, rotate-half style (HF Llama), in place on [num_tokens, num_heads,
// head_dim] rows. cos/sin = float32 cos/sin(position * inv_freq) rounded to dtype, then
// x1' = x1*cos - x2*sin, x2' = x2*cos + x1*sin with every product and sum rounded to dtype, as HF.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct RopeParams {
  void* x = nullptr;                   // [num_tokens, num_heads, head_dim], strides below; in place
  const int64_t* positions = nullptr;  // [num_tokens], device
  const float* inv_freq = nullptr;     // [head_dim / 2], device; scaling (llama3) is the caller's
  int64_t num_tokens = 0;
  int32_t num_heads = 0;
  int32_t head_dim = 0;        // even
  int64_t token_stride = 0;    // elements between tokens (num_heads * head_dim when packed)
  int64_t head_stride = 0;     // elements between heads (head_dim when packed)
  DType dtype = DType::kBf16;  // f32, f16, bf16

  [[nodiscard]] Status validate() const;
};

// Enqueues on `stream`. Returns validation and launch errors only.
[[nodiscard]] Status launch_rope(const RopeParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
