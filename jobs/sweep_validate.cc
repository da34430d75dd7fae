// Sweep spec validation: every field of the typed spec checked, errors naming the field's path
// (benchmarks[0].datasets[2], methods[1].budgets[0], ...), and the dataset tables it checks names
// and sizes against. Expansion is in sweep_expand.cc.
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <set>
#include <utility>

#include "common/strings.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_limits.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {
namespace {

struct DatasetSize {
  const char* name;
  int32_t samples;  // 0 = unknown: a sweep must give `limit`
};

// The 21 LongBench v1 datasets (sizes from THUDM/LongBench task.md) and the four LooGLE
// long-dependency sets HeadKV converts to the LongBench schema (ALGORITHMS.md §6.1; their sizes are
// not recorded). The names match benchmarks/longbench.h's builtin tasks.
constexpr DatasetSize kLongBenchDatasets[] = {
    {"narrativeqa", 200},
    {"qasper", 200},
    {"multifieldqa_en", 150},
    {"hotpotqa", 200},
    {"2wikimqa", 200},
    {"musique", 200},
    {"gov_report", 200},
    {"qmsum", 200},
    {"multi_news", 200},
    {"trec", 200},
    {"triviaqa", 200},
    {"samsum", 200},
    {"passage_count", 200},
    {"passage_retrieval_en", 200},
    {"lcc", 500},
    {"repobench-p", 500},
    {"multifieldqa_zh", 200},
    {"dureader", 200},
    {"vcsum", 200},
    {"lsht", 200},
    {"passage_retrieval_zh", 200},
    {"comprehension_and_reasoning", 0},
    {"multiple_information_retrieval", 0},
    {"timeline_reorder", 0},
    {"computation", 0},
};

// The splits and tasks the reference evaluates (§8), as benchmarks/babilong.h builds them.
constexpr const char* kBabilongSplits[] = {"0k", "1k", "2k", "4k", "8k", "16k", "32k"};
constexpr const char* kBabilongTasks[] = {"qa1", "qa2", "qa3", "qa4", "qa5"};

bool is_longbench_dataset(std::string_view name) {
  return std::any_of(std::begin(kLongBenchDatasets), std::end(kLongBenchDatasets),
                     [&](const DatasetSize& d) { return name == d.name; });
}

bool is_babilong_task(std::string_view name) {
  return std::any_of(std::begin(kBabilongTasks), std::end(kBabilongTasks),
                     [&](const char* task) { return name == task; });
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

Status invalid(const std::string& path, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

Status invalid(const std::string& path, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string message = vstrformat(fmt, args);
  va_end(args);
  return Status(StatusCode::kInvalidArgument, path + ": " + message);
}

std::string at(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

Status validate_dataset(const BenchmarkSpec& bench, size_t j, const std::string& path) {
  const std::string& name = bench.datasets[j];
  if (name.empty()) {
    return invalid(path, "dataset name must not be empty");
  }
  if (bench.benchmark == Benchmark::kLongBench && !is_longbench_dataset(name)) {
    return invalid(path, "unknown LongBench dataset '%s'", name.c_str());
  }
  if (bench.benchmark == Benchmark::kHeads && !is_heads_kind(name)) {
    return invalid(path, "unknown detection kind '%s' (expected retrieval or retrieval-reasoning)",
                   name.c_str());
  }
  if (bench.benchmark == Benchmark::kBabilong && !is_babilong_task(name)) {
    return invalid(path, "unknown BABILong task '%s' (expected qa1..qa5)", name.c_str());
  }
  if (bench.benchmark == Benchmark::kLongBench && bench.limit == 0 &&
      longbench_dataset_size(name) == 0) {
    return invalid(path, "dataset '%s' has no known size: give the block a `limit`", name.c_str());
  }
  return Status();
}

// Needle and heads grids; heads take length 0 (the needle alone).
Status validate_needle_grid(const BenchmarkSpec& bench, const std::string& path) {
  const int32_t min_length = bench.benchmark == Benchmark::kHeads ? 0 : 1;
  const auto& lengths = bench.needle_lengths_tokens;
  const auto& depths = bench.needle_depths_percent;
  if (lengths.empty()) {
    return invalid(path + ".lengths", "at least one context length is required");
  }
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (lengths[i] < min_length || (i > 0 && lengths[i] <= lengths[i - 1])) {
      return invalid(at(path + ".lengths", i), "length %d, expected %s and ascending", lengths[i],
                     min_length == 0 ? ">= 0 (0 = needle only)" : "positive");
    }
  }
  if (depths.empty()) {
    return invalid(path + ".depths", "at least one depth is required");
  }
  for (size_t i = 0; i < depths.size(); ++i) {
    if (depths[i] < 0 || depths[i] > 100 || (i > 0 && depths[i] <= depths[i - 1])) {
      return invalid(at(path + ".depths", i), "depth %d, expected 0..100 and ascending", depths[i]);
    }
  }
  return Status();
}

Status validate_benchmark(const BenchmarkSpec& bench,
                          const std::string& path,
                          std::set<std::pair<Benchmark, std::string>>* seen) {
  if (bench.datasets.empty()) {
    return invalid(path + ".datasets", "at least one dataset is required");
  }
  if (bench.limit < 0) {
    return invalid(path + ".limit", "limit %d, expected >= 0 (0 = all)", bench.limit);
  }
  for (size_t j = 0; j < bench.datasets.size(); ++j) {
    std::string dataset_path = at(path + ".datasets", j);
    HKV_RETURN_IF_ERROR(validate_dataset(bench, j, dataset_path));
    if (!seen->insert({bench.benchmark, bench.datasets[j]}).second) {
      return invalid(dataset_path, "%s dataset '%s' is listed twice",
                     benchmark_name(bench.benchmark), bench.datasets[j].c_str());
    }
  }
  if (bench.benchmark == Benchmark::kNeedle) {
    return validate_needle_grid(bench, path);
  }
  if (bench.benchmark == Benchmark::kHeads) {
    HKV_RETURN_IF_ERROR(validate_needle_grid(bench, path));
    return validate_heads_block(bench, path);
  }
  if (bench.benchmark == Benchmark::kBabilong) {
    if (bench.babilong_splits.empty()) {
      return invalid(path + ".splits", "at least one split is required");
    }
    for (size_t i = 0; i < bench.babilong_splits.size(); ++i) {
      const std::string& split = bench.babilong_splits[i];
      bool known = std::any_of(std::begin(kBabilongSplits), std::end(kBabilongSplits),
                               [&](const char* s) { return split == s; });
      bool repeated =
          std::count(bench.babilong_splits.begin(), bench.babilong_splits.end(), split) > 1;
      if (!known || repeated) {
        return invalid(at(path + ".splits", i),
                       "%s split '%s' (expected each of 0k 1k 2k 4k 8k 16k 32k once)",
                       known ? "repeated" : "unknown", split.c_str());
      }
    }
  }
  return Status();
}

Status validate_head_kv_grid(const MethodSpec& m, const std::string& path) {
  if (m.betas.empty()) {
    return invalid(path + ".betas", "%s needs at least one beta", m.method.c_str());
  }
  for (size_t i = 0; i < m.betas.size(); ++i) {
    // beta < 1 makes min_num = C - floor(C/beta) negative: negative per-head capacities.
    if (!(m.betas[i] >= 1.0) || !std::isfinite(m.betas[i])) {
      return invalid(at(path + ".betas", i), "beta %g must be >= 1", m.betas[i]);
    }
  }
  if (m.temps.empty()) {
    return invalid(path + ".temps", "%s needs at least one temp", m.method.c_str());
  }
  for (size_t i = 0; i < m.temps.size(); ++i) {
    if (!(m.temps[i] > 0.0) || !std::isfinite(m.temps[i])) {
      return invalid(at(path + ".temps", i), "temp %g must be > 0", m.temps[i]);
    }
  }
  const std::string& scores = m.head_scores;
  bool path_like = scores.find('/') != scores.npos || scores.ends_with(".json");
  if (!one_of(scores, {"retrieval", "reasoning"}) && !path_like) {
    return invalid(path + ".head_scores",
                   "'%s' is not retrieval, reasoning or a score-file path (*.json or with a '/')",
                   scores.c_str());
  }
  return Status();
}

}  // namespace

Status validate_method_spec(const MethodSpec& m, const std::string& path, int32_t window) {
  if (canonical_method(m.method) != m.method) {
    return invalid(path + ".method", "unknown method '%s'", m.method.c_str());
  }
  if (!one_of(m.layout, {"reference", "gqa"})) {
    return invalid(path + ".layout", "unknown layout '%s' (expected reference or gqa)",
                   m.layout.c_str());
  }
  bool head_kv = method_uses_head_scores(m.method);
  if (!head_kv && (!m.betas.empty() || !m.temps.empty() || !m.head_scores.empty())) {
    return invalid(path, "%s takes no betas, temps or head_scores", m.method.c_str());
  }
  if (m.method == "FullKV") {
    return m.budgets.empty() ? Status() : invalid(path + ".budgets", "FullKV takes no budgets");
  }
  if (m.budgets.empty()) {
    return invalid(path + ".budgets", "%s needs at least one budget", m.method.c_str());
  }
  for (size_t i = 0; i < m.budgets.size(); ++i) {
    if (m.budgets[i] <= window) {
      return invalid(at(path + ".budgets", i), "budget %d must exceed window %d", m.budgets[i],
                     window);
    }
  }
  return head_kv ? validate_head_kv_grid(m, path) : Status();
}

int32_t longbench_dataset_size(std::string_view dataset) {
  for (const DatasetSize& d : kLongBenchDatasets) {
    if (dataset == d.name) {
      return d.samples;
    }
  }
  return 0;
}

Status validate_sweep_spec(const SweepSpec& spec) {
  if (spec.name.empty()) {
    return invalid("name", "must not be empty");
  }
  if (spec.model.empty()) {
    return invalid("model", "required field is missing");
  }
  if (!one_of(spec.dtype, {"", "fp16", "bf16", "fp32"})) {
    return invalid("dtype",
                   "unknown dtype '%s' (expected fp16, bf16 or fp32; absent = the worker's)",
                   spec.dtype.c_str());
  }
  if (spec.window < 1) {
    return invalid("window", "%d, expected >= 1", spec.window);
  }
  if (spec.kernel < 1 || spec.kernel % 2 == 0) {
    return invalid("kernel", "%d, expected an odd number >= 1", spec.kernel);
  }
  if (!one_of(spec.pooling, {"maxpool", "avgpool"})) {
    return invalid("pooling", "unknown pooling '%s' (expected maxpool or avgpool)",
                   spec.pooling.c_str());
  }
  if (spec.max_new_tokens < 0) {
    return invalid("max_new_tokens", "%d, expected >= 0 (0 = per dataset)", spec.max_new_tokens);
  }
  if (!(spec.memory_gib >= 0.0 && spec.memory_gib < 1e6)) {
    return invalid("memory_gib", "%g, expected 0 (estimate from config.json) or a size in GiB",
                   spec.memory_gib);
  }
  if (spec.benchmarks.empty()) {
    return invalid("benchmarks", "at least one benchmark is required");
  }
  bool heads_only =
      std::all_of(spec.benchmarks.begin(), spec.benchmarks.end(),
                  [](const BenchmarkSpec& b) { return b.benchmark == Benchmark::kHeads; });
  if (spec.methods.empty() && !heads_only) {
    return invalid("methods", "at least one method is required (only heads benchmarks need none)");
  }
  std::set<std::pair<Benchmark, std::string>> seen;
  for (size_t i = 0; i < spec.benchmarks.size(); ++i) {
    HKV_RETURN_IF_ERROR(validate_benchmark(spec.benchmarks[i], at("benchmarks", i), &seen));
  }
  for (size_t i = 0; i < spec.methods.size(); ++i) {
    HKV_RETURN_IF_ERROR(validate_method_spec(spec.methods[i], at("methods", i), spec.window));
  }
  return check_sweep_limits(spec);
}

}  // namespace hkv::jobs
