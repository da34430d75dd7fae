// The scoring rules of head-importance detection (ALGORITHMS.md §9), as pure functions over
// attention rows, so they are unit-tested on crafted data and shared by the CPU and GPU engines.
//   Retrieval (HeadKV-R):  per step and head, the top-1 attended position i; if i lies in the
//     needle span and the token generated at this step equals prompt_ids[i] (a copy), add
//     1 / span length.
//   Retrieval-reasoning (HeadKV-R2): per step and head, the top-N positions (N = span length);
//     each inside the span adds attention / N (no copy condition).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hkv::head_scores {

struct TokenSpan {
  int64_t begin = -1;  // [begin, end) in prompt positions; begin < 0 when not found
  int64_t end = -1;

  int64_t length() const { return end - begin; }

  bool found() const { return begin >= 0; }
};

// Retrieval_Head's find_needle_idx: the first i whose window prompt[i : i+n] shares more than
// `threshold` of the needle's distinct tokens (n = needle length).
TokenSpan find_span_by_overlap(std::span<const int32_t> prompt,
                               std::span<const int32_t> needle,
                               double threshold = 0.9);

// The r2 variant: for every BOS position i, the overlap of prompt[i+1 : i+1+n] with the answer's
// tokens; the LAST maximum wins; the span is [i+1, i+1+n).
TokenSpan find_span_after_bos(std::span<const int32_t> prompt,
                              std::span<const int32_t> answer,
                              int32_t bos_id);

enum class DetectionKind { kRetrieval, kRetrievalReasoning };

// Accumulates one test's per-head scores over its decode steps.
class HeadScoreAccumulator {
 public:
  HeadScoreAccumulator(DetectionKind kind,
                       int32_t num_layers,
                       int32_t num_heads,
                       TokenSpan span,
                       std::vector<int32_t> prompt_ids);

  // One head's softmax row of the current query over keys 0..len-1 (positions).
  void observe(int32_t layer, int32_t head, std::span<const float> probs);
  // Closes the step: applies the copy rule with the token this step generated.
  void end_step(int32_t generated_token);

  // [num_layers * num_heads], layer-major.
  const std::vector<double>& scores() const { return scores_; }

 private:
  DetectionKind kind_;
  int32_t num_heads_;
  TokenSpan span_;
  std::vector<int32_t> prompt_ids_;
  std::vector<double> scores_;
  std::vector<int64_t> step_top1_;  // retrieval: this step's top-1 position per head
};

// Indices of the k largest values, descending, ties to the lower index (torch.topk on CUDA).
std::vector<int64_t> top_k_indices(std::span<const float> values, int64_t k);

}  // namespace hkv::head_scores
