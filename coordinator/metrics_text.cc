// Prometheus text for /metrics, from the scheduler's queries and the RPC histograms.
#include "coordinator/metrics_text.h"

#include <map>

#include "common/strings.h"
#include "results/failure_summary.h"

namespace hkv::coordinator {
namespace {

// Whole numbers (bytes, counts) in full, the rest with 6 significant digits.
std::string number(double v) {
  if (v == static_cast<double>(static_cast<long long>(v)) && v > -1e15 && v < 1e15) {
    return strformat("%lld", static_cast<long long>(v));
  }
  return strformat("%.6g", v);
}

void header(std::string* out, const char* name, const char* type, const char* help) {
  *out += strformat("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

}  // namespace

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::string> prometheus_text(Scheduler& scheduler, const RpcMetrics& rpcs) {
  std::string out;
  HKV_ASSIGN_OR_RETURN(std::vector<SweepProgress> sweeps, scheduler.list_sweeps());
  header(&out, "hkv_sweep_tasks", "gauge", "Tasks of a sweep by state.");
  for (const SweepProgress& p : sweeps) {
    const std::string labels =
        strformat("sweep=\"%lld\",name=\"%s\"", static_cast<long long>(p.sweep_id),
                  prometheus_label(p.name).c_str());
    for (const auto& [state, n] :
         std::vector<std::pair<const char*, int64_t>>{{"pending", p.pending},
                                                      {"running", p.running},
                                                      {"succeeded", p.succeeded},
                                                      {"failed", p.failed},
                                                      {"cancelled", p.cancelled}}) {
      out += strformat("hkv_sweep_tasks{%s,state=\"%s\"} %lld\n", labels.c_str(), state,
                       static_cast<long long>(n));
    }
  }
  header(&out, "hkv_sweep_prefills", "gauge", "Prompts prefilled so far (one per completed task).");
  for (const SweepProgress& p : sweeps) {
    out += strformat("hkv_sweep_prefills{sweep=\"%lld\"} %lld\n",
                     static_cast<long long>(p.sweep_id), static_cast<long long>(p.prefills));
  }
  HKV_ASSIGN_OR_RETURN(std::vector<WorkerStatus> workers, scheduler.list_workers());
  const int64_t now = system_now_ms();
  header(&out, "hkv_worker_up", "gauge", "1 per known worker, labelled with its state.");
  for (const WorkerStatus& w : workers) {
    out += strformat("hkv_worker_up{worker=\"%s\",device=\"%s\",state=\"%s\"} 1\n",
                     prometheus_label(w.info.worker_id).c_str(),
                     prometheus_label(w.info.device).c_str(), w.state.c_str());
  }

  struct Gauge {
    const char* name;
    const char* help;
    double (*value)(const WorkerStatus&, int64_t);
  };

  const Gauge gauges[] = {
      {"hkv_worker_tokens_per_second",
       "The worker's last task: prompt plus generated tokens per second.",
       [](const WorkerStatus& w, int64_t) { return w.tokens_per_second; }},
      {"hkv_worker_busy_fraction", "Share of the last heartbeat period spent running tasks.",
       [](const WorkerStatus& w, int64_t) { return w.busy_fraction; }},
      {"hkv_worker_device_memory_bytes", "The worker's device memory (GPU or host).",
       [](const WorkerStatus& w, int64_t) { return static_cast<double>(w.info.memory_bytes); }},
      {"hkv_worker_memory_used_bytes",
       "Device memory in use on the worker's device (GPU: all processes; CPU: the worker's "
       "resident set), as of its last heartbeat.",
       [](const WorkerStatus& w, int64_t) { return static_cast<double>(w.memory_used_bytes); }},
      {"hkv_worker_heartbeat_age_seconds", "Seconds since the worker's last heartbeat.",
       [](const WorkerStatus& w, int64_t t) {
         return static_cast<double>(t - w.last_heartbeat_ms) / 1000.0;
       }},
      {"hkv_worker_prefills", "Tasks the worker completed (one prefill each).",
       [](const WorkerStatus& w, int64_t) { return static_cast<double>(w.prefills); }},
  };
  for (const Gauge& g : gauges) {
    header(&out, g.name, "gauge", g.help);
    for (const WorkerStatus& w : workers) {
      out += strformat("%s{worker=\"%s\"} %s\n", g.name, prometheus_label(w.info.worker_id).c_str(),
                       number(g.value(w, now)).c_str());
    }
  }
  header(&out, "hkv_worker_gpu_busy_fraction", "gauge",
         "Share of the last heartbeat period the worker's GPU ran kernels (NVML); workers that "
         "do not measure it are left out.");
  for (const WorkerStatus& w : workers) {
    if (w.gpu_busy_fraction) {
      out += strformat("hkv_worker_gpu_busy_fraction{worker=\"%s\"} %s\n",
                       prometheus_label(w.info.worker_id).c_str(),
                       number(*w.gpu_busy_fraction).c_str());
    }
  }
  HKV_ASSIGN_OR_RETURN(std::vector<AttemptOutcomeCount> ended, scheduler.attempt_outcomes());
  std::map<std::pair<std::string, std::string>, int64_t> by_cause;  // (outcome, cause) -> n
  for (const AttemptOutcomeCount& a : ended) {
    by_cause[{a.outcome, a.error.empty() ? "none" : results::failure_cause(a.error)}] += a.count;
  }
  header(&out, "hkv_attempts_ended_total", "counter",
         "Attempts that ended other than in success (each one a retry or a failure), by outcome "
         "and cause.");
  for (const auto& [key, n] : by_cause) {
    out += strformat("hkv_attempts_ended_total{outcome=\"%s\",cause=\"%s\"} %lld\n",
                     prometheus_label(key.first).c_str(), prometheus_label(key.second).c_str(),
                     static_cast<long long>(n));
  }
  rpcs.render("hkv_rpc_duration_seconds", &out);
  return out;
}

}  // namespace hkv::coordinator
