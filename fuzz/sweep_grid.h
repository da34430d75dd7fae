// An upper bound on what a valid SweepSpec expands to (work units, grid configs), saturating just
// above a cap, computed from the spec without expanding it. Harnesses use it to skip expanding or
// storing grids that are valid but would only slow the fuzzer down.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "jobs/heads_spec.h"
#include "jobs/sweep_spec.h"

namespace hkv::fuzz {

struct SweepGrid {
  int64_t units = 0;
  int64_t configs = 0;
};

// Counts as jobs/sweep_expand.cc expands (upper bounds), saturated at cap + 1.
inline SweepGrid sweep_grid(const jobs::SweepSpec& spec, int64_t cap) {
  const int64_t over = cap + 1;
  auto mul = [&](int64_t a, int64_t b) -> int64_t {
    a = std::max<int64_t>(a, 0);
    b = std::max<int64_t>(b, 0);
    if (a == 0 || b == 0) {
      return 0;
    }
    return a > over / b ? over : std::min(a * b, over);
  };
  auto add = [&](int64_t a, int64_t b) { return std::min(a + b, over); };
  SweepGrid grid;
  for (const jobs::BenchmarkSpec& b : spec.benchmarks) {
    const int64_t points = mul(static_cast<int64_t>(b.needle_lengths_tokens.size()),
                               static_cast<int64_t>(b.needle_depths_percent.size()));
    for (const std::string& dataset : b.datasets) {
      int64_t units = 0;
      switch (b.benchmark) {
        case jobs::Benchmark::kNeedle:
          units = points;
          break;
        case jobs::Benchmark::kHeads:
          units = mul(b.heads_needles > 0 ? b.heads_needles : jobs::default_heads_needles(dataset),
                      points);
          break;
        case jobs::Benchmark::kBabilong:
          units = mul(static_cast<int64_t>(b.babilong_splits.size()),
                      b.limit > 0 ? std::min(b.limit, jobs::kBabilongSamplesPerSplit)
                                  : jobs::kBabilongSamplesPerSplit);
          break;
        case jobs::Benchmark::kLongBench:
          units = std::max<int64_t>(b.limit, jobs::longbench_dataset_size(dataset));
          break;
      }
      grid.units = add(grid.units, units);
    }
  }
  for (const jobs::MethodSpec& m : spec.methods) {
    auto axis = [](size_t n) { return std::max<int64_t>(static_cast<int64_t>(n), 1); };
    grid.configs = add(
        grid.configs, mul(axis(m.budgets.size()), mul(axis(m.betas.size()), axis(m.temps.size()))));
  }
  return grid;
}

}  // namespace hkv::fuzz
