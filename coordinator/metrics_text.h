// The coordinator's Prometheus metrics in the text exposition format (served at /metrics): tasks
// by state per sweep, per-worker throughput, busy share and memory, ended attempts (retries and
// failures) by outcome and cause, and the worker RPCs' latency histograms.
#pragma once

#include <string>

#include "common/status.h"
#include "coordinator/rpc_metrics.h"
#include "coordinator/scheduler.h"

namespace hkv::coordinator {

Result<std::string> prometheus_text(Scheduler& scheduler, const RpcMetrics& rpcs);

// A label value with \, " and newlines escaped as the exposition format requires.
std::string prometheus_label(const std::string& value);

}  // namespace hkv::coordinator
