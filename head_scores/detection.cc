// Span search and per-step scoring of the detection scripts.
#include "head_scores/detection.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace hkv::head_scores {
namespace {

double overlap(std::span<const int32_t> window, const std::set<int32_t>& target) {
  std::set<int32_t> seen(window.begin(), window.end());
  int64_t common = 0;
  for (int32_t t : seen) {
    common += target.count(t);
  }
  return target.empty() ? 0.0 : static_cast<double>(common) / static_cast<double>(target.size());
}

}  // namespace

TokenSpan find_span_by_overlap(std::span<const int32_t> prompt,
                               std::span<const int32_t> needle,
                               double threshold) {
  std::set<int32_t> target(needle.begin(), needle.end());
  const int64_t n = static_cast<int64_t>(needle.size());
  for (int64_t i = 0; i < static_cast<int64_t>(prompt.size()); ++i) {
    int64_t len = std::min<int64_t>(n, static_cast<int64_t>(prompt.size()) - i);
    if (overlap(prompt.subspan(i, len), target) > threshold) {
      return {i, i + n};
    }
  }
  return {};
}

TokenSpan find_span_after_bos(std::span<const int32_t> prompt,
                              std::span<const int32_t> answer,
                              int32_t bos_id) {
  std::set<int32_t> target(answer.begin(), answer.end());
  const int64_t n = static_cast<int64_t>(answer.size());
  double best = -1.0;
  TokenSpan span;
  for (int64_t i = 0; i < static_cast<int64_t>(prompt.size()); ++i) {
    if (prompt[i] != bos_id) {
      continue;
    }
    int64_t start = i + 1;
    int64_t len = std::clamp<int64_t>(static_cast<int64_t>(prompt.size()) - start, 0, n);
    double o = overlap(prompt.subspan(start, len), target);
    if (o >= best) {  // the last maximum wins
      best = o;
      span = {start, start + n};
    }
  }
  return span;
}

std::vector<int64_t> top_k_indices(std::span<const float> values, int64_t k) {
  std::vector<int64_t> idx(values.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min<int64_t>(k, static_cast<int64_t>(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  });
  idx.resize(k);
  return idx;
}

HeadScoreAccumulator::HeadScoreAccumulator(DetectionKind kind,
                                           int32_t num_layers,
                                           int32_t num_heads,
                                           TokenSpan span,
                                           std::vector<int32_t> prompt_ids)
    : kind_(kind),
      num_heads_(num_heads),
      span_(span),
      prompt_ids_(std::move(prompt_ids)),
      scores_(static_cast<size_t>(num_layers) * num_heads, 0.0),
      step_top1_(scores_.size(), -1) {}

void HeadScoreAccumulator::observe(int32_t layer, int32_t head, std::span<const float> probs) {
  const size_t slot = static_cast<size_t>(layer) * num_heads_ + head;
  if (!span_.found() || probs.empty()) {
    return;
  }
  if (kind_ == DetectionKind::kRetrieval) {
    step_top1_[slot] = top_k_indices(probs, 1)[0];
    return;
  }
  const int64_t n = span_.length();
  for (int64_t i : top_k_indices(probs, n)) {
    if (i >= span_.begin && i < span_.end) {
      scores_[slot] += static_cast<double>(probs[i]) / static_cast<double>(n);
    }
  }
}

void HeadScoreAccumulator::end_step(int32_t generated_token) {
  if (kind_ != DetectionKind::kRetrieval || !span_.found()) {
    return;
  }
  for (size_t slot = 0; slot < scores_.size(); ++slot) {
    int64_t i = step_top1_[slot];
    if (i >= span_.begin && i < span_.end && i < static_cast<int64_t>(prompt_ids_.size()) &&
        prompt_ids_[i] == generated_token) {
      scores_[slot] += 1.0 / static_cast<double>(span_.length());
    }
    step_top1_[slot] = -1;
  }
}

}  // namespace hkv::head_scores
