// GpuCompressor's state (gpu_compress.cc: the per-layer flow; gpu_compress_scores.cc: window
// scores, their stable order and Ada-SnapKV's counts). Internal to gpu_engine/.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "compression/keep_policy.h"
#include "gpu_engine/gpu_compress.h"
#include "kernels/device_buffer.h"

namespace hkv::model {
namespace gpu_compress_internal {

// (reduce is sum, kernel, pooling is max, window, gqa)
using ScoreKey = std::tuple<bool, int32_t, bool, int32_t, bool>;

struct ScoreSlot {
  int64_t n = 0;                             // prefix length L - window
  int32_t segments = 0;                      // q heads, or kv heads when gqa
  kernels::DeviceBuffer<uint16_t> q_scores;  // [q_heads, n] f16
  kernels::DeviceBuffer<uint16_t> scores;    // [segments, n] f16 (pooled when gqa; else unused)
  kernels::DeviceBuffer<int32_t> sorted;     // [segments, n]: positions, stable descending by score
  kernels::DeviceBuffer<int32_t> cu;         // [segments + 1]: s * n
  kernels::DeviceBuffer<uint8_t> ws_score;   // window-score scratch
  kernels::DeviceBuffer<uint8_t> ws_topk;    // top-k scratch
  int32_t computed_layer = -1;
  kernels::DeviceBuffer<uint8_t> ws_ada;  // Ada-SnapKV allocation scratch (kernels/ada_counts.h)
};

inline bool is_gqa(const CompressionConfig& cc) {
  return cc.storage_layout() == CacheLayout::kGqa;
}

}  // namespace gpu_compress_internal

using gpu_compress_internal::is_gqa;
using gpu_compress_internal::ScoreKey;
using gpu_compress_internal::ScoreSlot;

struct GpuCompressor::Impl {
  LlamaConfig config;
  kernels::DType dtype;
  std::vector<CompressionConfig> configs;
  std::vector<std::vector<int32_t>> head_caps;
  int64_t L = 0;
  int32_t window_rows = 0;
  int32_t reserve = 0;
  cudaStream_t stream = nullptr;
  const TpShard* tp = nullptr;
  std::map<ScoreKey, ScoreSlot> slots;
  kernels::DeviceBuffer<uint16_t> k16;  // [L, kv, d] f16 copy when dtype != f16
  kernels::DeviceBuffer<uint16_t> q16;  // [window_rows, q_heads, d]
  int32_t converted_layer = -1;
  kernels::DeviceBuffer<int32_t> zeros;  // [max segments + 1]
  int32_t total_segments = 0;            // of every config
  // [configs * max segments] keep counts, then [3, total_segments] the layer's segment tables
  // for launch_segment_capacity (rows besides device counts, count index, count bound).
  kernels::DeviceBuffer<int32_t> kept_lens;
  kernels::DeviceBuffer<int32_t> ada;  // [configs * max segments]: Ada-SnapKV counts of the layer
  kernels::DeviceBuffer<int32_t> error_flag;  // [1]

  int32_t segments(const CompressionConfig& cc) const {
    return is_gqa(cc) ? config.num_kv_heads : config.num_q_heads;
  }

  // The keep rule's threshold for layer l (compression/keep_policy.h).
  int64_t threshold(const CompressionConfig& cc, int32_t l) const {
    return compression::layer_threshold(cc, l, config.num_layers, L);
  }

  bool compresses(const CompressionConfig& cc, int32_t l) const {
    return compression::compresses(cc, threshold(cc, l), L);
  }

  ScoreKey key(const CompressionConfig& cc) const {
    const bool sum = compression::score_reduce_for(cc.method) == ScoreReduce::kSum;
    return {sum, cc.kernel, cc.pooling == Pooling::kMax, cc.window, is_gqa(cc)};
  }

  // Converts layer l's keys and window queries to f16 (once per layer) when dtype is not f16.
  Status convert_inputs(int32_t l, const LayerKvView& view);

  // The slot of cc's score key with layer l's window scores and their stable order (computed
  // once per key and layer).
  Result<ScoreSlot*> scores_for(int32_t l, const CompressionConfig& cc, const LayerKvView& view);

  // Under tensor parallelism over several ranks, Ada-SnapKV's layer budget is shared by every
  // rank's heads: the rule runs on the host over the gathered scores (TpShard::ada_counts).
  bool ada_on_host() const { return tp != nullptr && tp->ranks > 1; }

  Result<std::vector<int32_t>> ada_counts_on_host(ScoreSlot* slot, const CompressionConfig& cc);

  // Enqueues Ada-SnapKV's counts for `cc` on the device (kernels/ada_counts.h, the rule of
  // compression::ada_snapkv_counts) into `counts` [segments].
  Status enqueue_ada_counts(ScoreSlot* slot, const CompressionConfig& cc, int32_t* counts);
};

}  // namespace hkv::model
