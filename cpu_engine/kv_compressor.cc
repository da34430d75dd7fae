// Per-method selection. Every method shares: the short-prompt rule (no compression when L < B, or
// L < cap_l for PyramidKV), score-ordered kept positions, and the window appended in position
// order.
#include "cpu_engine/kv_compressor.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/half.h"
#include "cpu_engine/tensor_parallel.h"
#include "cpu_engine/window_score.h"

namespace hkv::model {
namespace {

std::vector<int32_t> all_positions(int64_t n) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace

std::vector<std::vector<int32_t>> select_positions(const PrefillLayer& layer,
                                                   const LlamaConfig& config,
                                                   const CompressionConfig& cc,
                                                   int32_t layer_index,
                                                   int64_t num_tokens,
                                                   int32_t window_rows,
                                                   std::span<const int32_t> head_caps,
                                                   bool fp16_scores) {
  // Without a shard nothing is gathered, so nothing can fail.
  return *select_positions_tp(layer, config, cc, layer_index, num_tokens, window_rows, head_caps,
                              fp16_scores, nullptr);
}

Result<std::vector<std::vector<int32_t>>> select_positions_tp(const PrefillLayer& layer,
                                                              const LlamaConfig& config,
                                                              const CompressionConfig& cc,
                                                              int32_t layer_index,
                                                              int64_t num_tokens,
                                                              int32_t window_rows,
                                                              std::span<const int32_t> head_caps,
                                                              bool fp16_scores,
                                                              const TpShard* tp) {
  const bool gqa = cc.storage_layout() == CacheLayout::kGqa;
  const int32_t segments = gqa ? config.num_kv_heads : config.num_q_heads;
  const int64_t L = num_tokens, n = L - cc.window;
  const int64_t threshold =
      compression::layer_threshold(cc, layer_index, config.num_layers, num_tokens);
  if (!compression::compresses(cc, threshold, num_tokens)) {
    return std::vector<std::vector<int32_t>>(segments, all_positions(L));
  }
  WindowScoreParams p{layer.window_q.data(),
                      layer.k.data(),
                      config.num_q_heads,
                      config.num_kv_heads,
                      window_rows,
                      L,
                      config.head_dim,
                      cc.window,
                      cc.kernel,
                      cc.pooling,
                      compression::score_reduce_for(cc.method),
                      fp16_scores};
  std::vector<float> scores = window_scores(p);
  if (gqa) {
    scores =
        pool_scores_to_kv_heads(scores, config.num_q_heads, config.num_kv_heads, n, fp16_scores);
  }
  Status gathered;
  const std::vector<int32_t> counts =
      compression::keep_counts(cc, threshold, segments, num_tokens, head_caps, [&] {
        if (tp == nullptr) {
          return ada_snapkv_counts(scores, segments, n, cc.budget, cc.window, fp16_scores);
        }
        Result<std::vector<int32_t>> mine = tp->ada_counts(layer_index, cc.storage_layout(), scores,
                                                           n, cc.budget, cc.window, fp16_scores);
        if (!mine.ok()) {
          gathered = mine.status();
          return std::vector<int32_t>(segments, 0);
        }
        return *std::move(mine);
      });
  HKV_RETURN_IF_ERROR(gathered);
  std::vector<std::vector<int32_t>> kept(segments);
  for (int32_t s = 0; s < segments; ++s) {
    std::vector<int32_t> order = order_by_score(&scores[static_cast<int64_t>(s) * n], n);
    order.resize(counts[s]);
    for (int64_t j = n; j < L; ++j) {
      order.push_back(static_cast<int32_t>(j));
    }
    kept[s] = std::move(order);
  }
  return kept;
}

Result<HeadKvCache> build_cache(const PrefillOutput& prefill,
                                const LlamaConfig& config,
                                const CompressionConfig& cc,
                                std::span<const int32_t> head_caps,
                                const CompressionOptions& options) {
  HKV_RETURN_IF_ERROR(cc.validate());
  const bool gqa = cc.storage_layout() == CacheLayout::kGqa;
  const int32_t segments = gqa ? config.num_kv_heads : config.num_q_heads;
  if (uses_head_scores(cc.method) &&
      head_caps.size() != static_cast<size_t>(config.num_layers) * segments) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: %zu head capacities, expected %d layers x %d %s heads",
                  method_name(cc.method), head_caps.size(), config.num_layers, segments,
                  gqa ? "KV" : "query");
  }
  if (cc.method != Method::kFullKv && cc.window > prefill.window_rows &&
      prefill.num_tokens > cc.window) {
    return errorf(StatusCode::kInvalidArgument,
                  "window %d exceeds the %d query rows kept by prefill", cc.window,
                  prefill.window_rows);
  }
  if (options.kept != nullptr) {
    options.kept->clear();
  }
  HeadKvCache cache;
  cache.layout = gqa ? CacheLayout::kGqa : CacheLayout::kReference;
  cache.group_size = config.num_q_heads / config.num_kv_heads;
  const int64_t L = prefill.num_tokens, D = config.head_dim;
  for (int32_t l = 0; l < config.num_layers; ++l) {
    std::span<const int32_t> caps;
    if (uses_head_scores(cc.method)) {
      caps = head_caps.subspan(static_cast<size_t>(l) * segments, segments);
    }
    HKV_ASSIGN_OR_RETURN(
        std::vector<std::vector<int32_t>> kept,
        select_positions_tp(prefill.layers[l], config, cc, l, L, prefill.window_rows, caps,
                            options.fp16_scores, options.tp));
    std::vector<int32_t> rows(segments);
    for (int32_t s = 0; s < segments; ++s) {
      rows[s] = static_cast<int32_t>(kept[s].size());
    }
    HeadKvLayer layer(config.head_dim, rows, options.reserve_rows);
    const PrefillLayer& P = prefill.layers[l];
    for (int32_t s = 0; s < segments; ++s) {
      int64_t kv_head = gqa ? s : s / cache.group_size;
      for (int32_t pos : kept[s]) {
        HKV_RETURN_IF_ERROR(
            layer.append(s, &P.k[(kv_head * L + pos) * D], &P.v[(kv_head * L + pos) * D]));
      }
    }
    cache.layers.push_back(std::move(layer));
    if (options.kept != nullptr) {
      options.kept->push_back(std::move(kept));
    }
  }
  return cache;
}

}  // namespace hkv::model
