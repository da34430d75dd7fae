// SwiGLU activation: out = dtype(dtype(silu(gate)) * up), silu in float32 as x / (1 + exp(-x)),
// the two roundings of HF's `act_fn(gate_proj(x)) * up_proj(x)` in a 16-bit dtype.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct SiluMulParams {
  void* out = nullptr;         // [num_rows, width], contiguous
  const void* gate = nullptr;  // [num_rows, width], row stride gate_row_stride
  const void* up = nullptr;    // [num_rows, width], row stride up_row_stride
  int64_t num_rows = 0;
  int64_t width = 0;
  int64_t gate_row_stride = 0;  // elements (width when packed; 2*width for a fused gate|up row)
  int64_t up_row_stride = 0;    // elements
  DType dtype = DType::kBf16;   // f32, f16, bf16

  [[nodiscard]] Status validate() const;
};

// Enqueues on `stream`. Returns validation and launch errors only.
[[nodiscard]] Status launch_silu_mul(const SiluMulParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
