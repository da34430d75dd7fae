// Element-wise dtype conversion on the device (f32 <-> f16 / bf16), round to nearest even. Used to
// upload weights in the compute dtype, and by `headkv doctor` as a device self-test.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct ConvertParams {
  void* out = nullptr;       // [num_elements], out_dtype
  const void* in = nullptr;  // [num_elements], in_dtype
  int64_t num_elements = 0;
  DType in_dtype = DType::kF32;
  DType out_dtype = DType::kBf16;

  // Non-null pointers for a non-empty range; supported dtype pair (f32, f16, bf16 in any order).
  [[nodiscard]] Status validate() const;
};

// Enqueues on `stream`. Returns validation and launch errors only.
[[nodiscard]] Status launch_convert(const ConvertParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
