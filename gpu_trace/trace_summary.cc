#include "gpu_trace/trace_summary.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace hkv::trace {
namespace {

// Gap buckets: under 2 µs (back-to-back launches), 10 µs, 100 µs, 1 ms, 10 ms, and longer.
constexpr uint64_t kBucketLimitsNs[] = {2'000, 10'000, 100'000, 1'000'000, 10'000'000, UINT64_MAX};

std::vector<NamedTotal> largest(const std::unordered_map<int32_t, NamedTotal>& totals,
                                const std::vector<std::string>& names,
                                size_t top) {
  std::vector<NamedTotal> out;
  out.reserve(totals.size());
  for (const auto& [id, t] : totals) {
    out.push_back(t);
    out.back().name = id >= 0 && static_cast<size_t>(id) < names.size() ? names[id] : kHostWork;
  }
  std::sort(out.begin(), out.end(), [](const NamedTotal& a, const NamedTotal& b) {
    return a.total_ns != b.total_ns ? a.total_ns > b.total_ns : a.name < b.name;
  });
  if (out.size() > top) {
    out.resize(top);
  }
  return out;
}

// The API call in flight at `t_ns` (the longest if several threads have one), or -1; the calls
// that bracket a time when none is in flight.
class ApiIndex {
 public:
  explicit ApiIndex(const std::vector<ApiSpan>& api) : api_(api), by_end_(api.size()) {
    std::map<uint32_t, size_t> slot;
    for (size_t i = 0; i < api.size(); ++i) {
      auto [it, fresh] = slot.try_emplace(api[i].thread, by_thread_.size());
      if (fresh) {
        by_thread_.emplace_back();
      }
      by_thread_[it->second].push_back(i);  // api is sorted by start, so each list is too
      by_end_[i] = i;
    }
    std::sort(by_end_.begin(), by_end_.end(),
              [&](size_t a, size_t b) { return api_[a].end_ns < api_[b].end_ns; });
  }

  // The name of the last call (any thread) that ended at or before `t_ns`, or -1.
  int32_t ended_before(uint64_t t_ns) const {
    auto it = std::upper_bound(by_end_.begin(), by_end_.end(), t_ns,
                               [&](uint64_t t, size_t i) { return t < api_[i].end_ns; });
    return it == by_end_.begin() ? -1 : api_[*(it - 1)].name;
  }

  // The name of the first call (any thread) that started after `t_ns`, or -1.
  int32_t started_after(uint64_t t_ns) const {
    auto it = std::upper_bound(api_.begin(), api_.end(), t_ns,
                               [](uint64_t t, const ApiSpan& a) { return t < a.start_ns; });
    return it == api_.end() ? -1 : it->name;
  }

  int32_t in_flight(uint64_t t_ns) const {
    int32_t best = -1;
    uint64_t best_len = 0;
    for (const std::vector<size_t>& calls : by_thread_) {
      // The last call starting at or before t; calls of one thread do not overlap.
      auto it = std::upper_bound(calls.begin(), calls.end(), t_ns,
                                 [&](uint64_t t, size_t i) { return t < api_[i].start_ns; });
      if (it == calls.begin()) {
        continue;
      }
      const ApiSpan& a = api_[*(it - 1)];
      if (a.end_ns > t_ns && a.end_ns - a.start_ns >= best_len) {
        best = a.name;
        best_len = a.end_ns - a.start_ns;
      }
    }
    return best;
  }

 private:
  const std::vector<ApiSpan>& api_;
  std::vector<std::vector<size_t>> by_thread_;
  std::vector<size_t> by_end_;  // indices into api_, by end time
};

// A host-work gap's cause: the CUDA calls just before and just after it name the code between
// (after a token read-back, before the next launch: the host's step logic).
int32_t host_work_cause(Trace& trace, const ApiIndex& index, uint64_t t_ns) {
  const int32_t before = index.ended_before(t_ns), after = index.started_after(t_ns);
  if (before < 0 && after < 0) {
    return -1;
  }
  std::string name = kHostWork;
  name.pop_back();  // the closing parenthesis
  if (before >= 0) {
    name += ", after " + trace.names[before];
  }
  if (after >= 0) {
    name += ", before " + trace.names[after];
  }
  return trace.intern(name + ")");
}

std::string format_ns(uint64_t ns) {
  char buf[32];
  if (ns >= 1'000'000'000) {
    std::snprintf(buf, sizeof(buf), "%.2f s", static_cast<double>(ns) / 1e9);
  } else if (ns >= 1'000'000) {
    std::snprintf(buf, sizeof(buf), "%.2f ms", static_cast<double>(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f us", static_cast<double>(ns) / 1e3);
  }
  return buf;
}

}  // namespace

int32_t Trace::intern(const std::string& name) {
  auto [it, fresh] = name_index.try_emplace(name, static_cast<int32_t>(names.size()));
  if (fresh) {
    names.push_back(name);
  }
  return it->second;
}

Summary summarize(Trace& trace, size_t top, uint64_t min_gap_ns) {
  Summary s;
  for (uint64_t limit : kBucketLimitsNs) {
    s.gaps.push_back(GapBucket{limit, 0, 0});
  }
  auto by_start = [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; };
  std::sort(trace.device.begin(), trace.device.end(), by_start);
  std::sort(trace.api.begin(), trace.api.end(), by_start);
  std::unordered_map<int32_t, NamedTotal> kernels, api, idle;
  for (const ApiSpan& a : trace.api) {
    NamedTotal& t = api[a.name];
    ++t.count;
    t.total_ns += a.end_ns > a.start_ns ? a.end_ns - a.start_ns : 0;
  }
  if (!trace.device.empty()) {
    const ApiIndex index(trace.api);

    struct RawGap {
      uint64_t start_ns, length_ns;
      int32_t cause;
    };

    std::vector<RawGap> gaps;
    uint64_t first = trace.device.front().start_ns, covered = first;
    for (const DeviceSpan& d : trace.device) {
      NamedTotal& k = kernels[d.name];
      ++k.count;
      k.total_ns += d.end_ns > d.start_ns ? d.end_ns - d.start_ns : 0;
      if (d.start_ns > covered) {
        const uint64_t len = d.start_ns - covered;
        for (GapBucket& b : s.gaps) {
          if (len < b.limit_ns || b.limit_ns == UINT64_MAX) {
            ++b.count;
            b.total_ns += len;
            break;
          }
        }
        if (len >= min_gap_ns) {
          int32_t cause = index.in_flight(covered + len / 2);
          if (cause < 0) {
            cause = host_work_cause(trace, index, covered + len / 2);
          }
          NamedTotal& t = idle[cause];
          ++t.count;
          t.total_ns += len;
          gaps.push_back(RawGap{covered - first, len, cause});
        }
      }
      if (d.end_ns > covered) {
        s.busy_ns += d.end_ns - std::max(d.start_ns, covered);
        covered = d.end_ns;
      }
    }
    s.span_ns = covered - first;
    const size_t keep = std::min(gaps.size(), top);
    std::partial_sort(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(keep), gaps.end(),
                      [](const RawGap& a, const RawGap& b) { return a.length_ns > b.length_ns; });
    for (size_t i = 0; i < keep; ++i) {
      const RawGap& g = gaps[i];
      s.longest.push_back(
          Gap{g.start_ns, g.length_ns, g.cause >= 0 ? trace.names[g.cause] : kHostWork});
    }
  }
  s.kernels = largest(kernels, trace.names, top);
  s.api = largest(api, trace.names, top);
  s.idle_by_cause = largest(idle, trace.names, top);
  return s;
}

std::string format_summary(const Summary& s) {
  std::string out;
  char line[512];
  const double busy = s.span_ns > 0 ? 100.0 * static_cast<double>(s.busy_ns) / s.span_ns : 0.0;
  std::snprintf(line, sizeof(line), "span %s, device busy %s = %.1f%%, idle %s\n",
                format_ns(s.span_ns).c_str(), format_ns(s.busy_ns).c_str(), busy,
                format_ns(s.span_ns - s.busy_ns).c_str());
  out += line;
  out += "idle gaps by length:\n";
  for (const GapBucket& b : s.gaps) {
    const std::string limit = b.limit_ns == UINT64_MAX ? "longer" : "< " + format_ns(b.limit_ns);
    std::snprintf(line, sizeof(line), "  %-10s %10" PRId64 " gaps %12s\n", limit.c_str(), b.count,
                  format_ns(b.total_ns).c_str());
    out += line;
  }
  auto table = [&](const char* title, const std::vector<NamedTotal>& rows) {
    out += title;
    for (const NamedTotal& t : rows) {
      std::snprintf(line, sizeof(line), "  %12s %10" PRId64 "  %.200s\n",
                    format_ns(t.total_ns).c_str(), t.count, t.name.c_str());
      out += line;
    }
  };
  table("idle time by the host's call in flight (total, gaps, call):\n", s.idle_by_cause);
  table("device time by kernel or copy (total, count, name):\n", s.kernels);
  table("host time by CUDA call (total, calls, call):\n", s.api);
  out += "longest gaps (start from the first device span, length, cause):\n";
  for (const Gap& g : s.longest) {
    std::snprintf(line, sizeof(line), "  %12s %12s  %s\n", format_ns(g.start_ns).c_str(),
                  format_ns(g.length_ns).c_str(), g.cause.c_str());
    out += line;
  }
  return out;
}

}  // namespace hkv::trace
