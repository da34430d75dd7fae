// Per-head compacted KV caches (ALGORITHMS.md §3.1, §5.4) in one flattened [rows, head_dim] buffer
// per layer: segment s (a query head in the `reference` layout, a kv head in `gqa`) owns rows
// [cu_capacity[s], cu_capacity[s+1]) and uses the first kv_lens[s]; the rest is room for appends.
// Segment s reads source kv head s / segments_per_kv_head (group size in `reference`, 1 in `gqa`).
#pragma once

#include <cstdint>
#include <span>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

// Prefill compaction: segment s gets rows src[kv_head(s)][kept[cu_kept[s] + r]] in list order (the
// selection's score order), then the tail rows src[kv_head(s)][tail_start + t], t < num_tail_rows
// (the observation window, in position order), and kv_lens[s] = kept_s + num_tail_rows.
struct KvGatherParams {
  void* k_out = nullptr;             // [cu_capacity[num_segments], head_dim], contiguous
  void* v_out = nullptr;             // [cu_capacity[num_segments], head_dim], contiguous
  const void* k_src = nullptr;       // [num_kv_heads, num_tokens, head_dim], strides below
  const void* v_src = nullptr;       // [num_kv_heads, num_tokens, head_dim], same strides as k_src
  const int32_t* kept = nullptr;     // [cu_kept[num_segments]], device: source positions
  const int32_t* cu_kept = nullptr;  // [num_segments + 1], device
  // [num_segments], device, or null: segment s takes the first kept_lens[s] positions at
  // kept + cu_kept[s] (a prefix of a longer sorted list) instead of cu_kept[s+1] - cu_kept[s].
  const int32_t* kept_lens = nullptr;
  const int32_t* cu_capacity = nullptr;  // [num_segments + 1], device
  int32_t* kv_lens = nullptr;            // [num_segments], device, out; may be null
  int32_t* error_flag = nullptr;  // [1], device, may be null: set to 1 (never cleared) when a
                                  // position is out of range or a segment overflows its capacity;
                                  // such rows are skipped
  int32_t num_segments = 0;
  int32_t segments_per_kv_head = 1;
  int32_t head_dim = 0;
  int64_t num_tokens = 0;            // source rows per kv head (bounds for kept positions)
  int64_t src_head_stride = 0;       // elements
  int64_t src_row_stride = 0;        // elements
  int64_t tail_start = 0;            // first tail position (num_tokens - window)
  int32_t num_tail_rows = 0;         // 0 for none
  int64_t max_rows_per_segment = 0;  // host upper bound of kept_s + num_tail_rows: sizes the grid
                                     // only (a low value is slower, never wrong)
  DType dtype = DType::kF16;         // any of f32, f16, bf16 (rows are copied bit for bit)

  [[nodiscard]] Status validate() const;
};

// Decode append (the `update_flatten_view` of ALGORITHMS.md §11, in place): segment s gets
// new[kv_head(s)] at row cu_capacity[s] + kv_lens[s], then kv_lens[s] += 1. A full segment is
// left unchanged and sets error_flag.
struct KvAppendParams {
  void* k_cache = nullptr;               // [cu_capacity[num_segments], head_dim], contiguous
  void* v_cache = nullptr;               // [cu_capacity[num_segments], head_dim], contiguous
  const void* k_new = nullptr;           // [num_kv_heads, head_dim], row stride new_row_stride
  const void* v_new = nullptr;           // [num_kv_heads, head_dim], row stride new_row_stride
  const int32_t* cu_capacity = nullptr;  // [num_segments + 1], device
  int32_t* kv_lens = nullptr;            // [num_segments], device, in/out
  int32_t* error_flag = nullptr;         // [1], device, may be null
  // [num_segments], device, or null: segment s appends row segment_src_row[s] of k_new / v_new
  // (a batch of sequences: row = sequence * num_kv_heads + kv head) instead of
  // s / segments_per_kv_head.
  const int32_t* segment_src_row = nullptr;
  int32_t num_segments = 0;
  int32_t segments_per_kv_head = 1;
  int32_t head_dim = 0;
  int64_t new_row_stride = 0;  // elements
  DType dtype = DType::kF16;   // f32, f16, bf16

  [[nodiscard]] Status validate() const;
};

// One layer's capacities when some keep counts exist only on the device (Ada-SnapKV's,
// kernels/ada_counts.h), so the host never waits for them: segment t holds base_rows[t] rows plus,
// when count_index[t] >= 0, k_t = clamp(counts[count_index[t]], 0, count_max[t]) kept positions;
// k_t also goes to kept_lens[count_index[t]] (the gather's prefix length). cu_capacity is the
// prefix sum. A layer allocated for max_rows never gets more: past it, capacities are cut and
// error_flag is set (the gather then flags the segments that do not fit).
struct SegmentCapacityParams {
  int32_t* cu_capacity = nullptr;        // [num_segments + 1], device, out
  int32_t* cu_capacity_copy = nullptr;   // [num_segments + 1], device, out, or null: a second copy
  int32_t* kept_lens = nullptr;          // device, out at every count_index[t] >= 0
  const int32_t* counts = nullptr;       // device, read at every count_index[t] >= 0
  const int32_t* base_rows = nullptr;    // [num_segments], device
  const int32_t* count_index = nullptr;  // [num_segments], device: -1 or an index
  const int32_t* count_max = nullptr;    // [num_segments], device
  int32_t* error_flag = nullptr;         // [1], device, may be null
  int32_t num_segments = 0;
  int64_t max_rows = 0;  // rows allocated for the layer

  [[nodiscard]] Status validate() const;
};

// Both enqueue on `stream` and return validation and launch errors only.
[[nodiscard]] Status launch_kv_gather(const KvGatherParams& params, cudaStream_t stream);
// Several gathers into one destination in as few launches as possible (one per 16 parts): one
// layer's caches for every sequence of a batch. Every part must share k_out, v_out, k_src, v_src,
// error_flag, dtype, head_dim, num_tokens and the source strides; the segment tables, tail and
// layout are each part's own. Output is identical to one launch_kv_gather per part.
[[nodiscard]] Status launch_kv_gather_parts(std::span<const KvGatherParams> parts,
                                            cudaStream_t stream);
[[nodiscard]] Status launch_kv_append(const KvAppendParams& params, cudaStream_t stream);
[[nodiscard]] Status launch_segment_capacity(const SegmentCapacityParams& params,
                                             cudaStream_t stream);

}  // namespace hkv::kernels
