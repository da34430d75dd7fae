// Counting mirrors expand_sweep / expand_benchmark exactly, so the limits bound what is stored.
#include "jobs/sweep_limits.h"

#include <algorithm>
#include <limits>

#include "jobs/heads_spec.h"

namespace hkv::jobs {
namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max() / 4;

int64_t mul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) {
    return 0;
  }
  return a > kSaturated / b ? kSaturated : a * b;
}

int64_t add(int64_t a, int64_t b) {
  return std::min(kSaturated, a + b);
}

int64_t block_tasks(const BenchmarkSpec& b) {
  const int64_t datasets = static_cast<int64_t>(b.datasets.size());
  switch (b.benchmark) {
    case Benchmark::kNeedle:
      return mul(datasets, mul(static_cast<int64_t>(b.needle_lengths_tokens.size()),
                               static_cast<int64_t>(b.needle_depths_percent.size())));
    case Benchmark::kBabilong: {
      const int64_t n = b.limit > 0 ? std::min<int64_t>(b.limit, kBabilongSamplesPerSplit)
                                    : kBabilongSamplesPerSplit;
      return mul(datasets, mul(static_cast<int64_t>(b.babilong_splits.size()), n));
    }
    case Benchmark::kLongBench: {
      int64_t total = 0;
      for (const std::string& d : b.datasets) {
        const int64_t size = longbench_dataset_size(d);
        total = add(total,
                    b.limit == 0 ? size : (size > 0 ? std::min<int64_t>(b.limit, size) : b.limit));
      }
      return total;
    }
    case Benchmark::kHeads: {
      int64_t total = 0;
      for (const std::string& kind : b.datasets) {
        const int64_t needles = b.heads_needles > 0 ? b.heads_needles : default_heads_needles(kind);
        total = add(total, mul(needles, mul(static_cast<int64_t>(b.needle_lengths_tokens.size()),
                                            static_cast<int64_t>(b.needle_depths_percent.size()))));
      }
      return total;
    }
  }
  return 0;
}

}  // namespace

SweepSize sweep_size(const SweepSpec& spec) {
  SweepSize size;
  for (const MethodSpec& m : spec.methods) {
    if (m.method == "FullKV") {
      size.configs = add(size.configs, 1);
      continue;
    }
    int64_t points = static_cast<int64_t>(m.budgets.size());
    if (method_uses_head_scores(m.method)) {
      points = mul(points,
                   mul(static_cast<int64_t>(m.betas.size()), static_cast<int64_t>(m.temps.size())));
    }
    size.configs = add(size.configs, points);
  }
  for (const BenchmarkSpec& b : spec.benchmarks) {
    const int64_t tasks = block_tasks(b);
    size.tasks = add(size.tasks, tasks);
    // Heads units decode with the one detection config; the others with the whole grid.
    size.result_rows =
        add(size.result_rows, b.benchmark == Benchmark::kHeads ? tasks : mul(tasks, size.configs));
  }
  return size;
}

Status check_sweep_limits(const SweepSpec& spec) {
  const SweepSize size = sweep_size(spec);
  auto over = [](const char* what, int64_t value, int64_t limit) {
    return errorf(StatusCode::kInvalidArgument,
                  "the sweep has %lld %s, over the limit of %lld per sweep (README \"Limits\"); "
                  "split it into smaller sweeps",
                  static_cast<long long>(value), what, static_cast<long long>(limit));
  };
  if (size.configs > kMaxConfigsPerSweep) {
    return over("configs (methods x budgets x betas x temps)", size.configs, kMaxConfigsPerSweep);
  }
  if (size.tasks > kMaxTasksPerSweep) {
    return over("tasks (samples)", size.tasks, kMaxTasksPerSweep);
  }
  if (size.result_rows > kMaxResultRowsPerSweep) {
    return over("result rows (tasks x configs)", size.result_rows, kMaxResultRowsPerSweep);
  }
  return Status();
}

Status check_sweep_text(std::string_view text, std::string_view source) {
  const int n = static_cast<int>(source.size());
  if (static_cast<int64_t>(text.size()) > kMaxSweepTextBytes) {
    return errorf(StatusCode::kInvalidArgument,
                  "%.*s: %zu bytes, over the limit of %lld bytes for a sweep file", n,
                  source.data(), text.size(), static_cast<long long>(kMaxSweepTextBytes));
  }
  int depth = 0;
  char quote = 0;
  size_t indent = 0;    // leading spaces and "- " of the current line so far
  bool leading = true;  // still inside the line's indentation
  for (char c : text) {
    if (c == '\n') {
      indent = 0;
      leading = true;
    } else if (leading && (c == ' ' || c == '-' || c == '\t')) {
      if (++indent > 4 * static_cast<size_t>(kMaxYamlDepth)) {
        return errorf(StatusCode::kInvalidArgument,
                      "%.*s: a line indented deeper than %d columns (the limit for sweep files)", n,
                      source.data(), 4 * kMaxYamlDepth);
      }
    } else {
      leading = false;
    }
    if (quote != 0) {
      if (c == quote || c == '\n') {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxYamlDepth) {
        return errorf(StatusCode::kInvalidArgument,
                      "%.*s: brackets nested deeper than %d levels (the limit for sweep files)", n,
                      source.data(), kMaxYamlDepth);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status();
}

}  // namespace hkv::jobs
