// Builds each configuration's compacted per-head cache from one shared prefill (ALGORITHMS.md
// §1–§4): chooses the kept prefix positions per head (score order, ties by lower position), then
// appends the observation window, in the cache layout the config asks for.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "compression/keep_policy.h"
#include "cpu_engine/compression_config.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/kv_cache.h"
#include "formats/config.h"

namespace hkv::model {

// The keep rule's pieces (compression/keep_policy.h): PyramidKV's per-layer totals and
// Ada-SnapKV's per-head counts.
using compression::ada_snapkv_counts;
using compression::pyramid_layer_budgets;

struct TpShard;  // cpu_engine/tensor_parallel.h

struct CompressionOptions {
  bool fp16_scores = true;  // emulate the reference's fp16 rounding steps (§0.4)
  // Set when the model is a tensor-parallel shard: segments are this rank's, and Ada-SnapKV's
  // allocation gathers the other ranks' scores.
  const TpShard* tp = nullptr;
  int32_t reserve_rows = 0;  // decode room per head (max new tokens)
  // When set: the kept positions per [layer][segment], as stored (score order, then the window
  // in position order).
  std::vector<std::vector<std::vector<int32_t>>>* kept = nullptr;
};

// The kept prefix positions per segment for one layer, in cache order (the window is not listed).
// `head_caps`: HeadKV capacities of this layer per segment (query heads in the reference layout,
// KV heads in gqa); ignored by other methods.
std::vector<std::vector<int32_t>> select_positions(const PrefillLayer& layer,
                                                   const LlamaConfig& config,
                                                   const CompressionConfig& cc,
                                                   int32_t layer_index,
                                                   int64_t num_tokens,
                                                   int32_t window_rows,
                                                   std::span<const int32_t> head_caps,
                                                   bool fp16_scores);

// As select_positions for a tensor-parallel shard (`tp`, may be null): the config is `config`'s
// (the shard's heads) and Ada-SnapKV's counts come from the whole layer; its gather may fail.
Result<std::vector<std::vector<int32_t>>> select_positions_tp(const PrefillLayer& layer,
                                                              const LlamaConfig& config,
                                                              const CompressionConfig& cc,
                                                              int32_t layer_index,
                                                              int64_t num_tokens,
                                                              int32_t window_rows,
                                                              std::span<const int32_t> head_caps,
                                                              bool fp16_scores,
                                                              const TpShard* tp);

// The whole cache for one config. `head_caps`: [num_layers * segments] for HeadKV, else empty.
// FullKV always stores one segment per KV head (the reference keeps HF's 8-head cache for it).
Result<HeadKvCache> build_cache(const PrefillOutput& prefill,
                                const LlamaConfig& config,
                                const CompressionConfig& cc,
                                std::span<const int32_t> head_caps,
                                const CompressionOptions& options);

}  // namespace hkv::model
