// libFuzzer harness: bytes -> jobs::parse_sweep_spec (YAML, or JSON when it starts with '{'); an
// accepted spec is expanded when its grid is small, and every config and heads unit is checked
// to survive its stored JSON form unchanged. Rejected specs must come back as a Status.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz/sweep_grid.h"
#include "fuzz/verbose.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_spec.h"

namespace {

using hkv::jobs::Benchmark;
using hkv::jobs::SweepSpec;

// Expansion is linear in units + configs; larger grids are valid but only slow the fuzzer down.
constexpr int64_t kMaxExpanded = 10000;

// A broken invariant of the library (not of the input): report it and crash so libFuzzer saves it.
[[noreturn]] void invariant_failed(const char* what) {
  std::fprintf(stderr, "fuzz_sweep_yaml: invariant failed: %s\n", what);
  std::abort();
}

void check_expansion(const SweepSpec& spec) {
  hkv::jobs::ExpandedSweep expanded = hkv::jobs::expand_sweep(spec);
  for (const auto& config : expanded.configs) {
    hkv::Result<hkv::jobs::CompressionConfig> back =
        hkv::jobs::config_from_json(hkv::jobs::config_to_json(config));
    if (!back.ok() || !(*back == config)) {
      invariant_failed("config_from_json(config_to_json(c)) != c");
    }
  }
  for (const auto& unit : expanded.units) {
    (void)expanded.configs_for(unit);
    if (unit.benchmark != Benchmark::kHeads) {
      continue;
    }
    if (!hkv::jobs::parse_heads_test_key(unit.sample_key).ok()) {
      invariant_failed("a heads unit's sample_key does not parse");
    }
    hkv::Result<hkv::jobs::HeadsUnitOptions> options =
        hkv::jobs::heads_options_from_json(unit.options, "fuzz unit");
    if (!options.ok() || hkv::jobs::heads_options_to_json(*options) != unit.options) {
      invariant_failed("a heads unit's options do not survive their JSON form");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  [[maybe_unused]] static const bool quiet = hkv::fuzz::quiet_logs();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  hkv::Result<SweepSpec> spec = hkv::jobs::parse_sweep_spec(text, "fuzz.yaml");
  hkv::fuzz::log_status("parse_sweep_spec", spec.status());
  if (!spec.ok()) {
    return 0;
  }
  if (!hkv::jobs::validate_sweep_spec(*spec).ok()) {
    invariant_failed("parse_sweep_spec accepted a spec validate_sweep_spec rejects");
  }
  (void)hkv::jobs::expand_home(spec->model, "/home/fuzz");
  hkv::fuzz::SweepGrid grid = hkv::fuzz::sweep_grid(*spec, kMaxExpanded);
  if (grid.units <= kMaxExpanded && grid.configs <= kMaxExpanded) {
    check_expansion(*spec);
  }
  return 0;
}
