// Head-importance detection on the engine (ALGORITHMS.md §9): needle tests over a grid of context
// lengths and depths; each successful test appends one score per head (retrieval: copies from the
// needle, retrieval-reasoning: top-N attention mass on the answer). Produces the HeadKV score
// table, written in the reference JSON format by head_scores::save_score_file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/observed_decoder.h"
#include "head_scores/detection.h"
#include "head_scores/score_file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace hkv::worker {

// score(response, reference) in [0, 100]: the reference uses ROUGE-1 recall (retrieval) and
// qa_f1 (retrieval-reasoning); a test succeeds when the score is > DetectOptions::min_score (50).
using SuccessScore =
    std::function<double(const std::string& response, const std::string& reference)>;

struct DetectOptions {
  head_scores::DetectionKind kind = head_scores::DetectionKind::kRetrieval;
  std::string haystack_dir;       // haystack_for_detect or haystack_for_detect_r2
  std::vector<int64_t> lengths;   // context lengths in tokens (0 = needle only)
  std::vector<int32_t> depths;    // percent
  int32_t max_decode_steps = 50;  // retrieval; reasoning stops after the answer's length
  // Reasoning: decode this many steps instead of the answer's length (0 = the reference). A
  // documented deviation for small chat models that restate the question before answering.
  int32_t reasoning_steps = 0;
  // A test is kept when its success score is > min_score (the reference: 50). A lower value is a
  // documented deviation for models that fail the reference's tests (SmolLM2 on R2).
  double min_score = 50.0;
  std::vector<int32_t> period_ids;  // insertion backs off to a position after one of these
  // A cancelled task (worker): the test stops between decode steps with Cancelled (may be null).
  const std::atomic<bool>* cancel = nullptr;
  int32_t buffer_tokens = 200;  // final_context_length_buffer
  // Renders the question as a chat turn (the reference does this only for ChatML/Qwen models;
  // Llama and Mistral get the raw prompt). Empty: raw prompt, encoded with BOS.
  std::function<Result<std::string>(const std::string&)> render_chat;
  SuccessScore success;                              // required
  std::function<void(const std::string&)> progress;  // one line per test, may be empty
};

// The reference's success score for a kind: ROUGE-1 recall x 100 (retrieval), qa_f1 x 100
// (retrieval-reasoning).
SuccessScore detection_success_score(head_scores::DetectionKind kind);
// "retrieval" | "retrieval-reasoning".
Result<head_scores::DetectionKind> parse_detection_kind(std::string_view name);
// The model-dependent prompt settings: ChatML models get the question as a user turn (as the
// reference does for Qwen), the others the raw prompt; `period_ids` from jobs::derive_period_ids.
// `tokenizer` must outlive `options`.
void set_detection_prompting(DetectOptions* options,
                             const model::Tokenizer* tokenizer,
                             model::ChatFamily family,
                             std::vector<int32_t> period_ids);

// One needle of a haystack folder's needles.jsonl.
struct DetectNeedle {
  std::string needle, question, real_needle, answer;
};

// Reads the needles of a haystack folder, and needle k's haystack text (part k+1 for retrieval,
// part k for retrieval-reasoning) repeated until it holds `words` words (the grid's longest
// length), encoded with special tokens.
Result<std::vector<DetectNeedle>> read_detect_needles(const std::string& haystack_dir);
Result<std::vector<int32_t>> detect_haystack_ids(const model::Tokenizer& tokenizer,
                                                 const DetectOptions& options,
                                                 size_t needle,
                                                 int64_t words);

// One test: build the prompt, prefill, decode while scoring every head.
struct DetectTestResult {
  std::vector<double> scores;  // [layers * heads], layer-major
  bool span_found = false;
  bool kept = false;     // span found and success score > min_score
  double score = 0.0;    // success score in [0, 100]
  std::string response;  // decoded, trimmed
  int64_t prompt_tokens = 0;
  int32_t new_tokens = 0;
  double prefill_ms = 0.0;
  double decode_ms = 0.0;
};

Result<DetectTestResult> run_detect_test(model::ObservedDecoder& model,
                                         const model::Tokenizer& tokenizer,
                                         const DetectOptions& options,
                                         const DetectNeedle& needle,
                                         const std::vector<int32_t>& haystack_ids,
                                         int64_t length,
                                         int32_t depth);

struct DetectReport {
  head_scores::HeadScoreTable table;
  int32_t tests_run = 0;
  int32_t tests_succeeded = 0;
  double seconds = 0.0;
};

Result<DetectReport> detect_heads(model::ObservedDecoder& model,
                                  const model::Tokenizer& tokenizer,
                                  const DetectOptions& options);

}  // namespace hkv::worker
