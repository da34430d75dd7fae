// Head-importance detection as sweep work ("benchmark: heads", ALGORITHMS.md §9). A heads block
// names detection kinds (its `datasets`), a length x depth grid and the detection settings; it
// expands into one work unit per needle test (needle, length, depth), so a sweep spreads the
// tests over every worker. Each unit carries its block's settings as JSON (WorkUnit::options) and
// its worker reports the test's per-head scores (HeadTestScores); `headkv results` turns the kept
// tests, in the reference's needle-major order, into the HeadKV score file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {

inline constexpr const char* kHeadsRetrieval = "retrieval";
inline constexpr const char* kHeadsReasoning = "retrieval-reasoning";

bool is_heads_kind(std::string_view kind);
// The published haystacks: 3 needles for retrieval, 2 for retrieval-reasoning (§9.1, §9.2).
int32_t default_heads_needles(std::string_view kind);
// The kind's haystack folder: <root>/haystack_for_detect (retrieval) or haystack_for_detect_r2;
// an empty root means the published haystacks, retrieval_haystack/ in the data search path
// (common/paths.h) with `data_root` as its explicit root. NotFound when that has none.
Result<std::string> heads_haystack_dir(const std::string& root,
                                       const std::string& data_root,
                                       std::string_view kind);
// The reference's context lengths for `--s 0 --e 10000`: round(linspace(0, 10000, 5)).
std::vector<int32_t> default_heads_lengths();

// The settings every unit of a heads block carries.
struct HeadsUnitOptions {
  std::string haystack_root;   // "" = the worker's <data>/retrieval_haystack
  int32_t needles = 0;         // needles the kind's needles.jsonl must hold (the worker checks)
  int32_t haystack_words = 0;  // the block's longest length: haystacks repeat to this many words
  double min_score = 50.0;     // a test is kept when its success score is > min_score
  int32_t max_decode_steps = 50;
  int32_t reasoning_steps = 0;  // 0: the answer's length

  friend bool operator==(const HeadsUnitOptions&, const HeadsUnitOptions&) = default;
};

std::string heads_options_to_json(const HeadsUnitOptions& options);
// Errors name `source` (e.g. "task 12 options").
Result<HeadsUnitOptions> heads_options_from_json(std::string_view text, std::string_view source);

// One test of the grid: sample key "needle:length:depth".
struct HeadsTestKey {
  int32_t needle = 0;
  int32_t length = 0;
  int32_t depth = 0;

  friend auto operator<=>(const HeadsTestKey&, const HeadsTestKey&) = default;
};

std::string heads_test_key(const HeadsTestKey& key);
Result<HeadsTestKey> parse_heads_test_key(std::string_view key);

// What one test reports: every head's score for the test (layer-major) and whether the test is
// kept (answer span found and success score > min_score). Dropped tests keep their scores too, so
// a stored sweep shows what each head did on every test.
struct HeadTestScores {
  int32_t num_layers = 0;
  int32_t num_heads = 0;
  std::vector<double> scores;  // [num_layers * num_heads]
  bool span_found = false;
  bool kept = false;

  friend bool operator==(const HeadTestScores&, const HeadTestScores&) = default;
};

// Lossless (doubles round-trip) JSON, as the coordinator stores it per result.
std::string head_test_scores_to_json(const HeadTestScores& scores);
Result<HeadTestScores> head_test_scores_from_json(std::string_view text, std::string_view source);

// Semantic checks of a heads block's own fields (validate_sweep_spec checks its kinds, length x
// depth grid and the rest); `path` is "benchmarks[i]".
Status validate_heads_block(const BenchmarkSpec& block, const std::string& path);
// One unit per (kind, needle, length, depth), kind-major then needle, length, depth: the order in
// which `headkv heads detect` runs the tests and appends their scores.
void expand_heads_block(const BenchmarkSpec& block, std::vector<WorkUnit>* units);

}  // namespace hkv::jobs
