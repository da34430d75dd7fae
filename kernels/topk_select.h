// Per-segment top-k of 16-bit scores: the first k positions of a stable descending sort (ties ->
// lower position first, as torch's sort/topk on CUDA, ALGORITHMS.md §0.4), written in that order.
// -0 ranks equal to +0; NaN ranks above everything.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct TopkSelectParams {
  int32_t* out = nullptr;            // [cu_k[num_segments]]: positions within the segment
  const void* scores = nullptr;      // [total_len], segment s = [cu_lens[s], cu_lens[s+1])
  const int32_t* cu_lens = nullptr;  // [num_segments + 1], device, prefix sums, cu_lens[0] = 0
  const int32_t* cu_k = nullptr;     // [num_segments + 1], device: segment s writes k_s =
                                     // cu_k[s+1] - cu_k[s] entries at out + cu_k[s]; entries past
                                     // the segment length (k_s > len_s) are set to -1
  void* workspace = nullptr;         // topk_select_workspace_bytes(*this) bytes, 16-byte aligned
  int64_t workspace_bytes = 0;
  int32_t num_segments = 0;
  int64_t total_len = 0;      // cu_lens[num_segments], known on the host; < 2^31
  DType dtype = DType::kF16;  // f16 or bf16

  [[nodiscard]] Status validate() const;
};

// Scratch for launch_topk_select: sort keys and values twice over plus CUB's temporary storage.
// Depends only on num_segments and total_len.
[[nodiscard]] Result<int64_t> topk_select_workspace_bytes(const TopkSelectParams& params);

// Enqueues on `stream`: key build, a stable segmented sort (cub::DeviceSegmentedSort) and the
// copy of each segment's first k. Returns validation and launch errors only.
[[nodiscard]] Status launch_topk_select(const TopkSelectParams& params, cudaStream_t stream);

}  // namespace hkv::kernels
