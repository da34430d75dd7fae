// The per-method keep rule (ALGORITHMS.md §0-§4), shared by the CPU compressor
// (cpu_engine/kv_compressor.cc) and the GPU one (gpu_engine/gpu_compress.cc): whether a layer is
// compressed at all, how many prefix entries each cache segment keeps before the window, and
// PyramidKV's per-layer budgets. The scoring itself (window scores, top-k) stays with each engine.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "compression/config.h"

namespace hkv::compression {

// The selection order (§0.4): positions 0..n-1 by descending score, ties to the lower position
// (a stable sort), as torch's sort/topk order the reference's scores.
std::vector<int32_t> order_by_score(const float* scores, int64_t n);

// PyramidKV's per-layer budgets (§2), window included, for a prompt of `num_tokens`.
std::vector<int32_t> pyramid_layer_budgets(int32_t budget,
                                           int32_t window,
                                           int32_t num_layers,
                                           int64_t num_tokens);

// Layer `layer`'s threshold: the budget (PyramidKV: its layer budget). A layer whose prompt is
// shorter than this is not compressed.
int64_t layer_threshold(const CompressionConfig& config,
                        int32_t layer,
                        int32_t num_layers,
                        int64_t num_tokens);

// Whether a layer is compressed: not FullKV, the prompt reaches the threshold, and a prefix
// before the window exists.
bool compresses(const CompressionConfig& config, int64_t threshold, int64_t num_tokens);

// Prefix entries (before the window) each of `segments` cache segments keeps in a compressed
// layer, each clamped to [0, num_tokens - window]: threshold - window for SnapKV and PyramidKV,
// `ada_counts()` for Ada-SnapKV, the layer's capacities `layer_head_caps` ([segments]) for HeadKV.
std::vector<int32_t> keep_counts(const CompressionConfig& config,
                                 int64_t threshold,
                                 int32_t segments,
                                 int64_t num_tokens,
                                 std::span<const int32_t> layer_head_caps,
                                 const std::function<std::vector<int32_t>()>& ada_counts);

// Ada-SnapKV's per-segment prefix counts for one layer (§3): `scores` [num_heads, n] (the window
// scores of the n = L - window prefix positions), the reference's fp16 rounding steps when
// `fp16`. Both compressors use this rule: the CPU one calls it, the GPU one runs the same steps in
// kernels/ada_counts.cu (checked against it in tests/kernels).
std::vector<int32_t> ada_snapkv_counts(const std::vector<float>& scores,
                                       int32_t num_heads,
                                       int64_t n,
                                       int32_t budget,
                                       int32_t window,
                                       bool fp16);

}  // namespace hkv::compression
