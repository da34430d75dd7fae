// RPC latency histograms.
#include "coordinator/rpc_metrics.h"

#include "common/strings.h"

namespace hkv::coordinator {

const char* rpc_name(Rpc rpc) {
  switch (rpc) {
    case Rpc::kPullTask:
      return "PullTask";
    case Rpc::kReportResult:
      return "ReportResult";
    case Rpc::kHeartbeat:
      return "Heartbeat";
  }
  return "?";
}

void RpcMetrics::observe(Rpc rpc, double seconds) {
  Histogram& h = hist_[static_cast<int>(rpc)];
  size_t b = 0;
  while (b < kBounds.size() && seconds > kBounds[b]) {
    ++b;
  }
  h.buckets[b].fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(static_cast<int64_t>(seconds * 1e9), std::memory_order_relaxed);
  h.count.fetch_add(1, std::memory_order_relaxed);
}

void RpcMetrics::render(const std::string& name, std::string* out) const {
  *out += "# HELP " + name + " Time from a worker RPC's arrival to its answer, by RPC.\n";
  *out += "# TYPE " + name + " histogram\n";
  for (int r = 0; r < kNumRpcs; ++r) {
    const Histogram& h = hist_[r];
    const char* rpc = rpc_name(static_cast<Rpc>(r));
    int64_t cumulative = 0;
    for (size_t b = 0; b <= kBounds.size(); ++b) {
      cumulative += h.buckets[b].load(std::memory_order_relaxed);
      std::string le = b < kBounds.size() ? strformat("%g", kBounds[b]) : "+Inf";
      *out += strformat("%s_bucket{rpc=\"%s\",le=\"%s\"} %lld\n", name.c_str(), rpc, le.c_str(),
                        static_cast<long long>(cumulative));
    }
    // The count is the +Inf bucket's, so _count and the buckets always agree in one scrape.
    *out += strformat("%s_sum{rpc=\"%s\"} %.9f\n", name.c_str(), rpc,
                      static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    *out += strformat("%s_count{rpc=\"%s\"} %lld\n", name.c_str(), rpc,
                      static_cast<long long>(cumulative));
  }
}

}  // namespace hkv::coordinator
