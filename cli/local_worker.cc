// The options of a worker this process runs on one device.
#include "cli/local_worker.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "common/strings.h"
#include "model/engine.h"
#include "worker/coordinator_client.h"
#include "worker/task_executor.h"

namespace hkv::cli {
namespace {

// Tasks per lease on `device`: the flag, or 8 on a GPU (whose engine decodes samples together)
// and 1 on the CPU (which runs them one after the other anyway, so leasing more would only keep
// them from other workers).
int32_t tasks_per_lease(const BatchOptions& b, const std::string& device) {
  if (b.tasks > 0) {
    return b.tasks;
  }
  return device.rfind("cuda", 0) == 0 ? 8 : 1;
}

// Whether a worker on `device` leases ahead and prepares prompts on a CPU thread.
bool prepares_ahead(const BatchOptions& b, const std::string& device) {
  if (b.prepare_ahead != "auto") {
    return b.prepare_ahead == "on";
  }
  return device.rfind("cuda", 0) == 0;
}

// `tp` ranks of one model: on GPUs each rank brings its device's memory; CPU ranks are threads
// sharing the host's.
v1::WorkerInfo local_worker_info(const std::string& device, int32_t tp) {
  v1::WorkerInfo info;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  info.set_hostname(host);
  info.set_device(device);
  info.set_device_name(device == "cpu" ? "CPU (OpenBLAS)" : device);
  // Random per worker: two workers on one device (or `run --workers 2`) get two ids.
  info.set_instance_id(worker::random_request_id());
  // cuda:A-B: B - A + 1 GPUs whatever --tp says (the engine checks they agree).
  const size_t dash = device.find('-');
  if (device.rfind("cuda:", 0) == 0 && dash != std::string::npos) {
    tp = std::max(tp, std::atoi(device.c_str() + dash + 1) - std::atoi(device.c_str() + 5) + 1);
  }
  info.set_tp(tp);
  info.set_device_memory_bytes(model::device_memory_total(device) * (device == "cpu" ? 1 : tp));
  return info;
}

}  // namespace

worker::RunnerOptions local_runner_options(const LocalWorker& w) {
  worker::RunnerOptions ro;
  ro.engine.device = w.device;
  ro.engine.dtype = w.dtype;
  ro.engine.tp = w.tp;
  ro.data_dir = w.data_dir;
  ro.batch_prompt_tokens = w.batch.prompt_tokens;
  return ro;
}

worker::WorkerOptions local_worker_options(const LocalWorker& w,
                                           worker::TaskRunner* runner,
                                           std::shared_ptr<model::GpuUtilization> meter) {
  worker::WorkerOptions wo;
  wo.info = local_worker_info(w.device, w.tp);
  wo.batch_tasks = tasks_per_lease(w.batch, w.device);
  wo.memory_used = [device = w.device] { return model::device_memory_used(device); };
  if (meter != nullptr) {
    wo.gpu_busy = [meter] { return meter->take_fraction(); };
  }
  if (prepares_ahead(w.batch, w.device)) {
    wo.prepare_ahead = worker::make_batch_preparer(runner);
  }
  return wo;
}

std::shared_ptr<model::GpuUtilization> gpu_busy_meter(const std::string& device) {
  auto meter = model::GpuUtilization::open(device);
  if (!meter.ok()) {
    if (device.rfind("cuda", 0) == 0) {
      std::fprintf(stderr, "headkv worker %s: no GPU busy share in heartbeats: %s\n",
                   device.c_str(), meter.status().to_string().c_str());
    }
    return nullptr;
  }
  return std::move(*meter);
}

std::string phase_summary(const worker::TaskRunner& runner) {
  const worker::TaskRunner::PhaseTimes t = runner.phase_times();
  return strformat(
      "prompts %.1f s on the engine's path + %.1f s ahead of it (%lld tasks), engine %.1f s, "
      "scoring %.1f s",
      t.prepare_s, t.ahead_s, static_cast<long long>(t.tasks_ahead), t.engine_s, t.score_s);
}

}  // namespace hkv::cli
