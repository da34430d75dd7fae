// Greedy decoding: per-row argmax over [num_rows, vocab] logits, ties to the lowest index (HF /
// torch.argmax), NaN counted as the largest value (torch's rule). Output int32.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct ArgmaxParams {
  int32_t* out = nullptr;        // [num_rows]
  const void* logits = nullptr;  // [num_rows, vocab], row stride row_stride
  int64_t num_rows = 0;
  int64_t vocab = 0;                // <= INT32_MAX
  int64_t row_stride = 0;           // elements (vocab when packed)
  DType dtype = DType::kF32;        // f32, f16, bf16
  const int32_t* banned = nullptr;  // [num_banned], device: ids never chosen (generation's
                                    // min_new_tokens rule); may be null when num_banned is 0
  int32_t num_banned = 0;           // 0..64
  // [num_rows], device, or null: each row's position += 1 (a decode step that feeds the next one
  // on the device: `out` is then the next step's token ids, and these its positions).
  int64_t* advance_positions = nullptr;

  [[nodiscard]] Status validate() const;
};

// Enqueues on `stream`. Returns validation and launch errors only.
[[nodiscard]] Status launch_argmax(const ArgmaxParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
