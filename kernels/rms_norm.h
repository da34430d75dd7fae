// RMSNorm over the last dim with HF Llama semantics: h = x (+ residual, rounded to dtype),
// out = dtype(weight * dtype(h * rsqrt(mean(h^2) + eps))), the variance in float32.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct RmsNormParams {
  void* out = nullptr;           // [num_rows, hidden], contiguous; may alias `in`
  const void* in = nullptr;      // [num_rows, hidden], contiguous
  void* residual = nullptr;      // [num_rows, hidden] or null; if set: h = in + residual and
                                 // residual <- h (HF's `residual = hidden_states` step), in place
  const void* weight = nullptr;  // [hidden]
  int64_t num_rows = 0;
  int32_t hidden = 0;
  float eps = 1e-5f;
  DType dtype = DType::kBf16;  // of out, in, residual and weight: f32, f16, bf16

  [[nodiscard]] Status validate() const;
};

// Enqueues on `stream`. Returns validation and launch errors only.
[[nodiscard]] Status launch_rms_norm(const RmsNormParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
