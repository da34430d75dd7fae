// Sweep specs: a YAML or JSON file naming a model, benchmarks and a grid of compression methods,
// parsed and validated with errors that name the field path ("methods[2].betas[0]: ..."), and
// expanded by a pure function into distinct compression configs and (benchmark, dataset, sample)
// work units. Nothing here reads datasets or models: expansion depends on the spec alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "compression/config.h"
#include "compression/config_json.h"

namespace hkv::jobs {

// kHeads: head-importance detection (ALGORITHMS.md §9) run as sweep work; see jobs/heads_spec.h.
enum class Benchmark { kLongBench, kNeedle, kBabilong, kHeads };

// "longbench", "needle", "babilong", "heads".
const char* benchmark_name(Benchmark benchmark);
Result<Benchmark> parse_benchmark(std::string_view name);

// One benchmark block. Only the fields of its kind are set; the others stay empty.
struct BenchmarkSpec {
  Benchmark benchmark = Benchmark::kLongBench;
  // LongBench: dataset files; BABILong: tasks (qa1..qa5); needle: haystack names; heads: the
  // detection kinds (retrieval, retrieval-reasoning).
  std::vector<std::string> datasets;
  // First `limit` samples per dataset (LongBench) or per (task, split) (BABILong). 0 = all, which
  // needs a known dataset size (LongBench v1 English sizes; BABILong's 100 per split).
  int32_t limit = 0;
  std::vector<int32_t> needle_lengths_tokens;  // needle and heads: context lengths, ascending
  std::vector<int32_t> needle_depths_percent;  // round(linspace(0, 100, depths))
  std::vector<std::string> babilong_splits;    // "0k", "1k", ..., "32k"
  // heads only. needles = 0: each kind's published count (3 retrieval, 2 retrieval-reasoning).
  std::string heads_haystack_root;  // holds haystack_for_detect(_r2); "": <data>/retrieval_haystack
  int32_t heads_needles = 0;
  double heads_min_score = 50.0;        // keep tests scoring > this (the reference: 50)
  int32_t heads_max_decode_steps = 50;  // retrieval decode steps (the reference: 50)
  int32_t heads_reasoning_steps = 0;    // 0: the answer's length (the reference)
};

// One method block: the cross product budgets x betas x temps of one method.
struct MethodSpec {
  std::string method;            // canonical: FullKV, SnapKV, PyramidKV, Ada-SnapKV, HeadKV-R(2)
  std::vector<int32_t> budgets;  // B per head incl. the window; empty for FullKV
  std::vector<double> betas;     // HeadKV only (>= 1); empty otherwise
  std::vector<double> temps;     // HeadKV only (> 0); empty otherwise
  std::string head_scores;       // HeadKV only: "retrieval" | "reasoning" | a score-file path
  std::string layout = "reference";  // "reference" | "gqa"
};

struct SweepSpec {
  std::string name;
  std::string model;  // path or name; a leading "~/" is expanded to $HOME
  // GPU compute dtype: fp16 (the reference's inference dtype) | bf16 | fp32; "" = each worker's
  // own --dtype. The CPU engine computes in float32 whatever this says.
  std::string dtype;
  int32_t priority = 0;  // higher runs first
  std::vector<BenchmarkSpec> benchmarks;
  std::vector<MethodSpec> methods;
  int32_t window = 8;               // observation window w (ALGORITHMS.md §0.4)
  int32_t kernel = 7;               // pooling kernel, odd
  std::string pooling = "maxpool";  // maxpool | avgpool
  int32_t max_new_tokens = 0;       // 0 = each dataset's own generation length
  // Memory a worker must hold (all its tensor-parallel ranks together) to run this sweep, in GiB;
  // 0 = estimated from the model's config.json when the coordinator can read it (model_needs.h).
  double memory_gib = 0.0;
};

// One point of the grid (compression/config.h), with the fields a method does not use set to
// neutral values (compression::neutral_config: budget 0 for FullKV; beta, temp 0 and head_scores
// "" outside HeadKV) so equal points compare equal.
using compression::CompressionConfig;

// One sample of one dataset: the unit the scheduler hands out (prefilled once, decoded with every
// config). sample_key: LongBench "17" (line index), needle "1000:11" (length:depth), BABILong
// "0k:17" (split:index), heads "1:2500:11" (needle:length:depth).
struct WorkUnit {
  Benchmark benchmark = Benchmark::kLongBench;
  std::string dataset;
  std::string sample_key;
  std::string options;  // heads: the block's detection settings as JSON; "" for the others

  friend bool operator==(const WorkUnit&, const WorkUnit&) = default;
};

struct ExpandedSweep {
  std::vector<CompressionConfig> configs;    // distinct, in method-block order
  std::vector<WorkUnit> units;               // benchmark-block order, then dataset, then sample
  std::vector<CompressionConfig> detection;  // {the FullKV cache head detection observes}

  // The configs a unit is decoded with: every config of the grid, or for a heads unit only
  // `detection` (detection decodes one greedy sequence over the full cache). One of the two
  // vectors above, so callers may key work on its address.
  const std::vector<CompressionConfig>& configs_for(const WorkUnit& unit) const;
};

// A method grid given as command-line flags (generate, eval, gpu-compare): every method name with
// the same budgets, and for HeadKV the same betas, temps and head scores ("" = each method's own,
// compression::default_head_scores).
struct MethodFlags {
  std::vector<std::string> methods;
  std::vector<int32_t> budgets;
  std::vector<double> betas;
  std::vector<double> temps = {1.0};
  std::string head_scores;
  std::string layout = "reference";
};

// The sweep-file method blocks the flags stand for; InvalidArgument naming the flag.
Result<std::vector<MethodSpec>> method_specs_from_flags(const MethodFlags& flags);
// Validates `methods` as a sweep file's blocks and expands them exactly as expand_sweep does
// (same order, same neutral fields, duplicates merged): the one way to build a config grid.
Result<std::vector<CompressionConfig>> expand_method_grid(const std::vector<MethodSpec>& methods,
                                                          int32_t window = 8,
                                                          int32_t kernel = 7,
                                                          const std::string& pooling = "maxpool");

// Parses YAML, or JSON when the text starts with '{'. `source` names the input in messages
// ("sweep.yaml"). Validates everything; errors are InvalidArgument naming the field path.
Result<SweepSpec> parse_sweep_spec(std::string_view text, std::string_view source);
// The semantic checks parse_sweep_spec runs, for specs built in code.
Status validate_sweep_spec(const SweepSpec& spec);
// One method block's checks from validate_sweep_spec, errors prefixed with `path` (e.g.
// "methods[0]"); `window` is the sweep's observation window, which every budget must exceed.
Status validate_method_spec(const MethodSpec& method, const std::string& path, int32_t window);
// Pure and deterministic; `spec` must be valid.
ExpandedSweep expand_sweep(const SweepSpec& spec);

// Canonical method name (compression::method_name) for the paper names, the reference's names
// and short forms (compression::parse_method), or "" when unknown.
std::string canonical_method(std::string_view name);
// Whether a canonical method name is a HeadKV method (compression::uses_head_scores).
bool method_uses_head_scores(std::string_view canonical);

// round(linspace(0, 100, count)) with round-half-even, as the reference's needle grid.
std::vector<int32_t> needle_depths_from_count(int32_t count);
// The official size of a LongBench dataset (v1 English), or 0 when unknown (e.g. LooGLE's).
int32_t longbench_dataset_size(std::string_view dataset);
// BABILong's 100-sample release: every (task, split) holds this many samples.
inline constexpr int32_t kBabilongSamplesPerSplit = 100;
inline constexpr const char* kDefaultNeedleHaystack = "PaulGrahamEssays";

// "~/x" -> home + "/x"; anything else unchanged.
std::string expand_home(const std::string& path, const std::string& home);

// Lossless JSON form of a config, as the coordinator stores it per task.
using compression::config_from_json;
using compression::config_to_json;

}  // namespace hkv::jobs
