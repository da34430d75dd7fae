// One-token decode attention over per-head variable-length caches (ALGORITHMS.md §5.4): query q
// attends to its own segment of a flattened cache, o = softmax(scale * q.K^T) . V, fp32
// accumulation, split-K over long segments with a combine pass. Queries that share a segment (the
// GQA group of a per-KV-head cache) are processed together, so each K/V row is read once per group.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

struct AttentionDecodeParams {
  void* out = nullptr;      // [num_queries, head_dim], contiguous, dtype
  const void* q = nullptr;  // [num_queries, head_dim], row stride q_row_stride, post-RoPE
  const void* k = nullptr;  // [cu_capacity[num_segments], head_dim], contiguous
  const void* v = nullptr;  // [cu_capacity[num_segments], head_dim], contiguous
  const int32_t* cu_capacity = nullptr;  // [num_segments + 1], device: segment s starts at row
                                         // cu_capacity[s]
  const int32_t* kv_lens = nullptr;      // [num_segments], device; null: the whole capacity is used
  void* workspace = nullptr;  // attention_decode_workspace_bytes(*this) bytes, 16-byte aligned;
                              // may be null when that is 0
  int64_t workspace_bytes = 0;
  int32_t num_queries = 0;  // = num_segments * queries_per_segment
  int32_t num_segments = 0;
  int32_t queries_per_segment = 1;  // query qi reads segment qi / queries_per_segment: 1 in the
                                    // `reference` layout, the GQA group size in `gqa`
  // [num_queries], device, or null: query qi reads segment query_segment[qi] instead (a batch
  // mixing layouts and configs); then num_queries is free and queries_per_segment is unused.
  const int32_t* query_segment = nullptr;
  // Optional explicit groups, with query_segment: group g is queries [group_start[g],
  // group_start[g + 1]), consecutive and all reading one segment (the first query's), at most
  // max_group of them. Null: without query_segment the queries_per_segment queries of a segment
  // form a group (when <= kAttentionDecodeMaxGroup), with it every query is its own group.
  const int32_t* group_start = nullptr;  // [num_groups + 1], device
  int32_t num_groups = 0;
  int32_t max_group = 1;
  int32_t head_dim = 128;      // 64 or 128
  int64_t q_row_stride = 0;    // elements, multiple of 8
  int64_t max_kv_len = 0;      // host upper bound of kv_lens: sets the split count (a low value is
                               // slower, never wrong)
  float softmax_scale = 0.0f;  // 1 / sqrt(head_dim) for Llama
  DType dtype = DType::kF16;   // of q, k, v and out: f32, f16, bf16

  [[nodiscard]] Status validate() const;
};

inline constexpr int32_t kAttentionDecodeMaxGroup = 8;

// Number of key splits per query for these params (1 means no combine pass and no workspace).
int32_t attention_decode_num_splits(const AttentionDecodeParams& params);

// Bytes of scratch for the split-K partials: num_queries * num_splits * (head_dim + 2) floats.
int64_t attention_decode_workspace_bytes(const AttentionDecodeParams& params);

// Enqueues on `stream`. An empty segment (kv_len 0) yields a zero output row. Returns validation
// and launch errors only.
[[nodiscard]] Status launch_attention_decode(const AttentionDecodeParams& params,
                                             cudaStream_t stream);

}  // namespace hkv::kernels
