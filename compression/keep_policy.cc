// The keep rule: thresholds, PyramidKV budgets and per-segment keep counts.
#include "compression/keep_policy.h"

#include <algorithm>
#include <numeric>

#include "common/half.h"

namespace hkv::compression {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

std::vector<int32_t> order_by_score(const float* scores, int64_t n) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [scores](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  return order;
}

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

int64_t layer_threshold(const CompressionConfig& config,
                        int32_t layer,
                        int32_t num_layers,
                        int64_t num_tokens) {
  if (config.method == Method::kPyramidKv) {
    return pyramid_layer_budgets(config.budget, config.window, num_layers, num_tokens)[layer];
  }
  return config.budget;
}

bool compresses(const CompressionConfig& config, int64_t threshold, int64_t num_tokens) {
  return config.method != Method::kFullKv && num_tokens >= threshold &&
         num_tokens - config.window >= 1;
}

std::vector<int32_t> keep_counts(const CompressionConfig& config,
                                 int64_t threshold,
                                 int32_t segments,
                                 int64_t num_tokens,
                                 std::span<const int32_t> layer_head_caps,
                                 const std::function<std::vector<int32_t>()>& ada_counts) {
  const int64_t n = num_tokens - config.window;
  std::vector<int32_t> counts(segments, static_cast<int32_t>(threshold - config.window));
  if (config.method == Method::kAdaSnapKv) {
    counts = ada_counts();
  } else if (uses_head_scores(config.method)) {
    counts.assign(layer_head_caps.begin(), layer_head_caps.end());
  }
  for (int32_t& c : counts) {
    c = static_cast<int32_t>(std::clamp<int64_t>(c, 0, n));  // a slice past the end keeps all
  }
  return counts;
}

std::vector<int32_t> ada_snapkv_counts(const std::vector<float>& scores,
                                       int32_t num_heads,
                                       int64_t n,
                                       int32_t budget,
                                       int32_t window,
                                       bool fp16) {
  const int64_t C = budget - window;
  auto rnd = [&](float x) { return fp16 ? f16_to_float(float_to_f16(x)) : x; };
  // Normalised, per-head sorted scores, flattened head-major.
  std::vector<float> adj(static_cast<size_t>(num_heads) * n);
  for (int32_t h = 0; h < num_heads; ++h) {
    const float* s = &scores[static_cast<int64_t>(h) * n];
    std::vector<int32_t> order = order_by_score(s, n);
    float top = 0.0f, all = 0.0f;
    for (int64_t t = 0; t < n; ++t) {
      all += s[order[t]];
      if (t < C) {
        top += s[order[t]];
      }
    }
    float r = rnd(rnd(top) / rnd(all));
    for (int64_t t = 0; t < n; ++t) {
      adj[static_cast<int64_t>(h) * n + t] = rnd(s[order[t]] * r);
    }
  }
  std::vector<int32_t> flat = order_by_score(adj.data(), static_cast<int64_t>(adj.size()));
  std::vector<int32_t> counts(num_heads, 0);
  for (int64_t i = 0; i < num_heads * C; ++i) {
    ++counts[flat[i] / n];
  }
  const int32_t floor_cap = static_cast<int32_t>(static_cast<double>(C) * 0.2);
  for (int32_t& c : counts) {
    c = floor_cap + (4 * c + 2) / 5;  // round_half_even(count * 0.8f): no ties occur for 0.8
  }
  return counts;
}

}  // namespace hkv::compression
