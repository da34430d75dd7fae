// The GPU engine's batch of sequences with heterogeneous per-head caches (ALGORITHMS.md §5.4):
// every sequence (one compression config of a sample) owns, per layer, its segments (query heads
// in the `reference` layout, KV heads in `gqa`) inside ONE flattened K and V buffer per layer, so a
// decode step appends and attends for the whole batch with one kernel each. Two small maps tie the
// batch together: query row -> segment and segment -> source K/V row.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "cpu_engine/kv_cache.h"
#include "formats/config.h"
#include "kernels/attention_decode.h"
#include "kernels/cuda_graph.h"
#include "kernels/cuda_utils.h"
#include "kernels/device_buffer.h"

namespace hkv::model {

struct GpuCacheLayer {
  kernels::DeviceBuffer<uint8_t> k;            // [rows, head_dim], dtype
  kernels::DeviceBuffer<uint8_t> v;            // [rows, head_dim], dtype
  kernels::DeviceBuffer<int32_t> cu_capacity;  // [total_segments + 1]
  kernels::DeviceBuffer<int32_t> kv_lens;      // [total_segments], written by the gather
  std::vector<int32_t> host_cu_capacity;       // [total_segments + 1]
  std::vector<int32_t> compressed_lens;        // [total_segments], right after compression
  int64_t max_capacity = 0;                    // rows of the largest segment
  // A layer sized on the device (allocate_layer_on_device): the host tables above are filled by
  // GpuBatch::sync_host_tables; until then `rows` is the allocation's upper bound.
  bool host_pending = false;
  int32_t reserve_rows = 0;  // rows of every segment beyond its compressed length
  int64_t rows = 0;          // rows allocated
};

class GpuBatch {
 public:
  // One sequence per entry of `layouts`. Allocates the maps; layers come from allocate_layer.
  static Result<GpuBatch> create(const LlamaConfig& config,
                                 const std::vector<CacheLayout>& layouts,
                                 kernels::DType dtype,
                                 cudaStream_t stream);

  // One batch holding every sequence of `parts` in order (the configs of several samples): the
  // layer buffers are concatenated on the device, kv_lens carried over. `parts` are consumed.
  static Result<GpuBatch> merge(const LlamaConfig& config, std::vector<GpuBatch> parts);

  int32_t num_sequences() const { return static_cast<int32_t>(layouts_.size()); }

  int32_t total_segments() const { return seg_offset_.back(); }

  CacheLayout layout(int32_t seq) const { return layouts_[seq]; }

  int32_t segments(int32_t seq) const { return seg_offset_[seq + 1] - seg_offset_[seq]; }

  int32_t segment_offset(int32_t seq) const { return seg_offset_[seq]; }

  kernels::DType dtype() const { return dtype_; }

  // Sizes layer `l` (layers are allocated in order): `rows[s]` = capacity of segment s of the
  // whole batch (kept rows + decode reserve); `lens[s]` = rows filled by compression.
  Status allocate_layer(int32_t l, const std::vector<int32_t>& rows, std::vector<int32_t> lens);

  // Sizes layer `l` for at most `max_rows` rows whose per-segment capacities the device writes
  // (kernels::launch_segment_capacity into layer(l).cu_capacity and capacity_copy(l)); every
  // segment's capacity is its compressed length + `reserve_rows`. The host tables follow with
  // sync_host_tables, so sizing a layer never waits for the device.
  Status allocate_layer_on_device(int32_t l, int64_t max_rows, int32_t reserve_rows);

  // [total_segments + 1], device: where the device writes a second copy of layer l's capacities
  // (one buffer for every layer, read back at once by sync_host_tables).
  int32_t* capacity_copy(int32_t l);

  // Reads every device-sized layer's capacities back (one copy; waits for the stream) and fills
  // their host tables. Required before merge, layer_stats and decoding.
  Status sync_host_tables();

  GpuCacheLayer& layer(int32_t l) { return layers_[l]; }

  const GpuCacheLayer& layer(int32_t l) const { return layers_[l]; }

  int32_t num_layers() const { return static_cast<int32_t>(layers_.size()); }

  const int32_t* query_segment() const { return query_segment_.data(); }  // [B * q_heads]

  const int32_t* segment_src_row() const { return segment_src_row_.data(); }  // [segments]

  // Decode attention groups: runs of consecutive queries reading one segment (a per-KV-head
  // cache's GQA group), at most kernels::kAttentionDecodeMaxGroup long.
  const int32_t* group_start() const { return group_start_.data(); }  // [num_groups + 1]

  int32_t num_groups() const { return num_groups_; }

  int32_t max_group() const { return max_group_; }

  int32_t min_group() const { return min_group_; }

  // Entries (kept rows over all layers and segments) of sequence `seq` after compression, and
  // per layer min/max segment length.
  int64_t compressed_entries(int32_t seq) const;
  void layer_stats(
      int32_t seq, int32_t l, int64_t* entries, int32_t* min_len, int32_t* max_len) const;
  // Device bytes of all K/V buffers.
  int64_t cache_bytes() const;

  // The captured decode step (GpuModel owns its use) and the scratch generation it was captured
  // against.
  kernels::CudaGraph decode_graph;
  uint64_t graph_generation = 0;

 private:
  int32_t num_q_heads_ = 0;
  int32_t num_kv_heads_ = 0;
  int32_t head_dim_ = 0;
  kernels::DType dtype_ = kernels::DType::kBf16;
  cudaStream_t stream_ = nullptr;
  std::vector<CacheLayout> layouts_;
  std::vector<int32_t> seg_offset_;                 // [B + 1]
  kernels::DeviceBuffer<int32_t> query_segment_;    // [B * q_heads]
  kernels::DeviceBuffer<int32_t> segment_src_row_;  // [total_segments]: b * kv_heads + kv head
  kernels::DeviceBuffer<int32_t> group_start_;      // [num_groups + 1]
  int32_t num_groups_ = 0;
  int32_t max_group_ = 1;
  int32_t min_group_ = 1;
  std::vector<GpuCacheLayer> layers_;
  int32_t config_layers_ = 0;
  kernels::DeviceBuffer<int32_t> capacity_copies_;  // [config_layers_, total_segments + 1]
};

}  // namespace hkv::model
