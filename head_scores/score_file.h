// HeadKV head-importance score files (ALGORITHMS.md §4.1): one JSON object mapping "layer-head" to
// the list of per-test scores, keys in layer-major order. Invariant of a loaded table: complete
// (num_layers × num_heads entries), layer-major, every list non-empty and of the same length.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hkv::head_scores {

// One model's head-importance table. Entry i is (layer, head) = (i / num_heads, i % num_heads),
// exactly the reference's reshape of the file order.
struct HeadScoreTable {
  int32_t num_layers = 0;
  int32_t num_heads = 0;                    // query heads per layer
  int32_t num_samples = 0;                  // common length of every per-head score list
  std::vector<std::vector<double>> scores;  // [num_layers * num_heads][num_samples]
  std::vector<double> means;                // [num_layers * num_heads], numpy.mean of each list

  int32_t num_entries() const { return num_layers * num_heads; }

  double mean(int32_t layer, int32_t head) const {
    return means[static_cast<size_t>(layer) * num_heads + head];
  }
};

// Builds a table from per-head score lists in layer-major order (entry i = (i / num_heads,
// i % num_heads)) and computes the means. InvalidArgument when the shape does not match, a list
// is empty, lists differ in length, or a score is not finite.
Result<HeadScoreTable> make_score_table(int32_t num_layers,
                                        int32_t num_heads,
                                        std::vector<std::vector<double>> scores);

// Parses the JSON text of a score file; `source` names it in errors. Keys must be exactly
// "<layer>-<head>" in layer-major order; num_layers / num_heads are inferred from the keys.
Result<HeadScoreTable> parse_score_json(std::string_view text, std::string_view source);

// Reads and parses a score file (NotFound when it does not exist).
Result<HeadScoreTable> load_score_file(const std::string& path);

// The file format of the reference: one line, no trailing newline, `{"0-0": [0, 0.25], ...}` with
// Python's json.dumps separators. A zero score is written as the integer 0 and every other value
// as Python's float repr, which is how the detection scripts wrote them: re-saving one of the four
// reference files reproduces it byte for byte.
std::string format_score_json(const HeadScoreTable& table);
Status save_score_file(const HeadScoreTable& table, const std::string& path);

// numpy.add.reduce over a contiguous float64 array: numpy's pairwise summation (8 accumulators,
// blocks of at most 128 elements, recursive halving above), so results are bit-identical to numpy.
double numpy_pairwise_sum(std::span<const double> values);
// numpy.mean of a float64 array: numpy_pairwise_sum / size. `values` must be non-empty.
double numpy_mean(std::span<const double> values);

// Resolves a score-file argument. `retrieval` (HeadKV-R, head_choice=copy) and `reasoning`
// (HeadKV-R2, head_choice=reason) name the published files, head_scores/<model>_*_heads.json in
// the data search path (common/paths.h; `data_dir` is its explicit root, "" for none), for the
// model family found in `model_hint` ("llama" or "mistral", case-insensitive, as the reference
// matches config._name_or_path). Anything else is returned unchanged as a path.
// InvalidArgument when an alias gets a hint naming neither family; NotFound naming the path and
// the alias when the aliased file is absent.
// The two-argument form searches the default data path.
Result<std::string> resolve_score_path(std::string_view file_or_alias,
                                       std::string_view model_hint,
                                       const std::string& data_dir);
Result<std::string> resolve_score_path(std::string_view file_or_alias, std::string_view model_hint);

// Where headkv's own score files live (SmolLM2-135M-Instruct_*_heads.json, from `heads detect`):
// $HEADKV_SCORES_DIR, else <exe>/../share/headkv/head_scores when installed, else the source
// tree's head_scores/data. A model hint containing "smollm2" resolves the aliases there.
std::string shipped_scores_dir();

}  // namespace hkv::head_scores
