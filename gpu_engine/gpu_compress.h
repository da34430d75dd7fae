// GPU compression of one layer for every config of a sample (ALGORITHMS.md §1–§4, the same rules
// as kv_compressor.cc): window scores once per distinct (reduce, kernel, pooling, window, layout)
// key, one stable segmented sort per key (every config's kept set is a prefix of it), per-config
// counts (budget, PyramidKV schedule, Ada-SnapKV allocation, HeadKV capacities), then one gather
// per config into the batch's flattened layer buffers. A layer waits for the device only for
// Ada-SnapKV's counts; finish() checks the whole prefill's gathers at the end.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "cpu_engine/compression_config.h"
#include "cpu_engine/tensor_parallel.h"
#include "formats/config.h"
#include "gpu_engine/gpu_batch.h"
#include "kernels/cuda_utils.h"

namespace hkv::model {

struct LayerKvView {
  const void* k = nullptr;         // [num_tokens, num_kv_heads, head_dim], post-RoPE, dtype
  const void* v = nullptr;         // [num_tokens, num_kv_heads, head_dim], dtype
  const void* window_q = nullptr;  // [window_rows, num_q_heads, head_dim], post-RoPE, last rows
  int64_t num_tokens = 0;
  int32_t window_rows = 0;
};

class GpuCompressor {
 public:
  // `head_caps[i]`: config i's HeadKV capacities [num_layers * segments] or empty. Under tensor
  // parallelism (`tp`, `config` the shard's) the segments are this rank's, and Ada-SnapKV's
  // allocation over more than one rank gathers the layer's scores on the host
  // (TpShard::ada_counts).
  static Result<std::unique_ptr<GpuCompressor>> create(
      const LlamaConfig& config,
      kernels::DType dtype,
      const std::vector<CompressionConfig>& configs,
      const std::vector<std::vector<int32_t>>& head_caps,
      int64_t num_tokens,
      int32_t window_rows,
      int32_t reserve_rows,
      cudaStream_t stream,
      const TpShard* tp = nullptr);
  ~GpuCompressor();

  // Allocates layer `l` of `batch` (sequence i = config i) and gathers every config's cache.
  // `kept`, when set, receives [config][layer] the kept positions per segment in cache order,
  // window included (what select_positions returns on the CPU).
  Status compress_layer(int32_t l,
                        const LayerKvView& view,
                        GpuBatch* batch,
                        std::vector<std::vector<std::vector<std::vector<int32_t>>>>* kept);

  // After the last layer: waits for the device and reports a kept position outside the prompt or
  // a segment over its capacity in any layer (the gathers' error flag).
  Status finish();

  // Device bytes of the score slots (for the memory plan).
  int64_t scratch_bytes() const;

 private:
  struct Impl;
  explicit GpuCompressor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hkv::model
