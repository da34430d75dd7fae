// Per-method selection. Every method shares: the short-prompt rule (no compression when L < B, or
// L < cap_l for PyramidKV), score-ordered kept positions, and the window appended in position
// order.
#include "model/kv_compressor.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/half.h"
#include "model/window_score.h"

namespace hkv::model {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

float round_f16(float x) {
  return f16_to_float(float_to_f16(x));
}

ScoreReduce reduce_for(Method m) {
  return (m == Method::kSnapKv || m == Method::kPyramidKv) ? ScoreReduce::kSum : ScoreReduce::kMean;
}

std::vector<int32_t> all_positions(int64_t n) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace

std::vector<int32_t> pyramid_layer_budgets(int32_t budget,
                                           int32_t window,
                                           int32_t num_layers,
                                           int64_t num_tokens) {
  const int64_t base = budget - window;
  int64_t min_num = base / 20;  // beta fixed at 20 (the reference's argument bug, §2)
  int64_t max_num = 2 * base - min_num;
  if (max_num >= num_tokens - window) {  // clamp for a short prompt
    max_num = num_tokens - window;
    min_num = 2 * base - max_num;
  }
  int64_t steps = num_layers > 1 ? floor_div(max_num - min_num, num_layers - 1) : 0;
  std::vector<int32_t> caps(num_layers);
  for (int32_t l = 0; l < num_layers; ++l) {
    caps[l] = static_cast<int32_t>(max_num - l * steps + window);
  }
  return caps;
}

std::vector<int32_t> ada_snapkv_counts(const std::vector<float>& scores,
                                       int32_t num_heads,
                                       int64_t n,
                                       int32_t budget,
                                       int32_t window,
                                       bool fp16) {
  const int64_t C = budget - window;
  auto rnd = [&](float x) { return fp16 ? round_f16(x) : x; };
  // Normalised, per-head sorted scores, flattened head-major.
  std::vector<float> adj(static_cast<size_t>(num_heads) * n);
  for (int32_t h = 0; h < num_heads; ++h) {
    const float* s = &scores[static_cast<int64_t>(h) * n];
    std::vector<int32_t> order = order_by_score(s, n);
    float top = 0.0f, all = 0.0f;
    for (int64_t t = 0; t < n; ++t) {
      all += s[order[t]];
      if (t < C)
        top += s[order[t]];
    }
    float r = rnd(rnd(top) / rnd(all));
    for (int64_t t = 0; t < n; ++t)
      adj[static_cast<int64_t>(h) * n + t] = rnd(s[order[t]] * r);
  }
  std::vector<int32_t> flat = order_by_score(adj.data(), static_cast<int64_t>(adj.size()));
  std::vector<int32_t> counts(num_heads, 0);
  for (int64_t i = 0; i < num_heads * C; ++i)
    ++counts[flat[i] / n];
  const int32_t floor_cap = static_cast<int32_t>(static_cast<double>(C) * 0.2);
  for (int32_t& c : counts) {
    c = floor_cap + (4 * c + 2) / 5;  // round_half_even(count * 0.8f): no ties occur for 0.8
  }
  return counts;
}

std::vector<std::vector<int32_t>> select_positions(const PrefillLayer& layer,
                                                   const LlamaConfig& config,
                                                   const CompressionConfig& cc,
                                                   int32_t layer_index,
                                                   int64_t num_tokens,
                                                   int32_t window_rows,
                                                   std::span<const int32_t> head_caps,
                                                   bool fp16_scores) {
  const bool gqa = cc.storage_layout() == CacheLayout::kGqa;
  const int32_t segments = gqa ? config.num_kv_heads : config.num_q_heads;
  const int64_t L = num_tokens, w = cc.window, n = L - w;
  int64_t threshold = cc.budget;  // no compression when L < threshold
  if (cc.method == Method::kPyramidKv) {
    threshold = pyramid_layer_budgets(cc.budget, cc.window, config.num_layers, L)[layer_index];
  }
  if (cc.method == Method::kFullKv || L < threshold || n < 1) {
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
                      reduce_for(cc.method),
                      fp16_scores};
  std::vector<float> scores = window_scores(p);
  if (gqa) {
    scores =
        pool_scores_to_kv_heads(scores, config.num_q_heads, config.num_kv_heads, n, fp16_scores);
  }
  std::vector<int32_t> counts(segments, static_cast<int32_t>(threshold - w));
  if (cc.method == Method::kAdaSnapKv) {
    counts = ada_snapkv_counts(scores, segments, n, cc.budget, cc.window, fp16_scores);
  } else if (uses_head_scores(cc.method)) {
    counts.assign(head_caps.begin(), head_caps.end());
  }
  std::vector<std::vector<int32_t>> kept(segments);
  for (int32_t s = 0; s < segments; ++s) {
    std::vector<int32_t> order = order_by_score(&scores[static_cast<int64_t>(s) * n], n);
    int64_t keep = std::clamp<int64_t>(counts[s], 0, n);  // a slice past the end keeps everything
    order.resize(keep);
    for (int64_t j = n; j < L; ++j)
      order.push_back(static_cast<int32_t>(j));
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
  HeadKvCache cache;
  cache.layout = gqa ? CacheLayout::kGqa : CacheLayout::kReference;
  cache.group_size = config.num_q_heads / config.num_kv_heads;
  const int64_t L = prefill.num_tokens, D = config.head_dim;
  for (int32_t l = 0; l < config.num_layers; ++l) {
    std::span<const int32_t> caps;
    if (uses_head_scores(cc.method))
      caps = head_caps.subspan(static_cast<size_t>(l) * segments, segments);
    std::vector<std::vector<int32_t>> kept = select_positions(
        prefill.layers[l], config, cc, l, L, prefill.window_rows, caps, options.fp16_scores);
    std::vector<int32_t> rows(segments);
    for (int32_t s = 0; s < segments; ++s)
      rows[s] = static_cast<int32_t>(kept[s].size());
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
  }
  return cache;
}

}  // namespace hkv::model
