// Where a GPU's time goes, from a trace of its activity and the host's CUDA API calls: the busy
// share over the traced span, the idle gaps by length, and for each gap the host call in flight
// when the GPU ran dry (a synchronisation, a launch, an allocation, or no CUDA call at all: host
// work). Host-only; the CUPTI injection library (cupti_inject.cc) fills a Trace, the tests build
// one by hand.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace hkv::trace {

// One span of device work (kernel, copy or set), nanoseconds on the CUPTI clock.
struct DeviceSpan {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  int32_t name = 0;  // index into Trace::names
};

// One host CUDA runtime call.
struct ApiSpan {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  int32_t name = 0;  // index into Trace::names
  uint32_t thread = 0;
};

struct Trace {
  std::vector<DeviceSpan> device;
  std::vector<ApiSpan> api;
  std::vector<std::string> names;
  std::unordered_map<std::string, int32_t> name_index;  // names[i] -> i

  int32_t intern(const std::string& name);  // the index of `name` in names, added if new
};

// Gaps shorter than `limit_ns` (the last bucket has no limit: UINT64_MAX).
struct GapBucket {
  uint64_t limit_ns = 0;
  int64_t count = 0;
  uint64_t total_ns = 0;
};

struct NamedTotal {
  std::string name;
  int64_t count = 0;
  uint64_t total_ns = 0;
};

struct Gap {
  uint64_t start_ns = 0;
  uint64_t length_ns = 0;
  // The host call in flight at the gap's midpoint, or kHostWork with the calls around it:
  // "(no CUDA call: host work, after cudaEventSynchronize, before cudaGraphLaunch)".
  std::string cause;
};

struct Summary {
  uint64_t span_ns = 0;  // first device start to last device end
  uint64_t busy_ns = 0;  // union of the device spans
  std::vector<GapBucket> gaps;
  std::vector<NamedTotal> idle_by_cause;  // gap time by cause, largest first
  std::vector<NamedTotal> kernels;        // device time by name, largest first
  std::vector<NamedTotal> api;            // host time by call, largest first
  std::vector<Gap> longest;               // the longest gaps, longest first
};

inline constexpr const char* kHostWork = "(no CUDA call: host work)";

// `trace` is sorted in place. Totals keep the `top` largest entries; gaps shorter than
// `min_gap_ns` are counted in the buckets but not attributed.
Summary summarize(Trace& trace, size_t top = 15, uint64_t min_gap_ns = 0);

// A plain-text report (the tables of bench/RESULTS.md's profile rows).
std::string format_summary(const Summary& summary);

}  // namespace hkv::trace
