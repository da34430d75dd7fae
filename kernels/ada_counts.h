// Ada-SnapKV's head allocation for one layer on the device (ALGORITHMS.md §3, the reference's
// adaptive budget): each segment's scores, taken in its own descending order, are scaled by
// r = top / all (the sum of its C = budget - window best scores over the sum of all, both in
// fp16 steps as the reference rounds them); the S x C best scaled scores of the whole layer pick
// the heads; each segment keeps floor(0.2 C) + round(0.8 * picked). The CPU rule is
// compression::ada_snapkv_counts, and this matches it exactly: the sums run sequentially in the
// same order, ties in the global order go to the lower (segment, rank) as the CPU's stable sort.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct AdaCountsParams {
  int32_t* counts = nullptr;        // [num_segments] out: prefix entries each segment keeps
  const void* scores = nullptr;     // [num_segments, n] 16-bit window scores (>= 0, no NaN)
  const int32_t* sorted = nullptr;  // [num_segments, n] each segment's positions by descending
                                    // score, ties to the lower position (launch_topk_select, k = n)
  void* workspace = nullptr;        // ada_counts_workspace_bytes(*this) bytes, 16-byte aligned
  int64_t workspace_bytes = 0;
  int32_t num_segments = 0;
  int64_t n = 0;              // prefix length per segment (L - window)
  int32_t keep = 0;           // C = budget - window, 0 <= C <= n
  DType dtype = DType::kF16;  // f16 or bf16 scores; the rounding steps are fp16 either way

  [[nodiscard]] Status validate() const;
};

// Scratch for launch_ada_counts: scaled keys and flat indices twice over plus CUB's sort storage.
[[nodiscard]] Result<int64_t> ada_counts_workspace_bytes(const AdaCountsParams& params);

// Enqueues on `stream`: per-segment ratios and scaled scores, one stable descending radix sort
// of the layer (cub::DeviceRadixSort), a histogram of the first S x C and the final counts.
[[nodiscard]] Status launch_ada_counts(const AdaCountsParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
