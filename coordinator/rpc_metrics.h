// Latency histograms of the coordinator's worker-facing RPCs (PullTask, ReportResult, Heartbeat)
// for Prometheus: fixed buckets, lock-free counters, rendered in the text exposition format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace hkv::coordinator {

enum class Rpc { kPullTask, kReportResult, kHeartbeat };
inline constexpr int kNumRpcs = 3;
const char* rpc_name(Rpc rpc);

class RpcMetrics {
 public:
  // Upper bounds (seconds) of the buckets; a last +Inf bucket follows.
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void observe(Rpc rpc, double seconds);
  // `name`_bucket{rpc=...,le=...}, _sum and _count for every RPC, with HELP and TYPE lines.
  void render(const std::string& name, std::string* out) const;

 private:
  struct Histogram {
    std::array<std::atomic<int64_t>, kBounds.size() + 1> buckets{};  // not cumulative
    std::atomic<int64_t> count{0};
    std::atomic<int64_t> sum_ns{0};
  };

  std::array<Histogram, kNumRpcs> hist_;
};

}  // namespace hkv::coordinator
