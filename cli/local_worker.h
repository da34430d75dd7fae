// A worker this process runs on one device (`headkv worker`, `headkv run`): its runner's and its
// loop's options from the command's flags, the GPU busy meter its heartbeats read, and the line
// that says where its time went.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cli/sweep_commands.h"
#include "model/gpu_utilization.h"
#include "worker/task_runner.h"
#include "worker/worker_loop.h"

namespace hkv::cli {

struct LocalWorker {
  std::string device;  // cpu | cuda:N | cuda:A-B
  std::string dtype;   // GPU compute dtype
  int32_t tp = 1;
  std::string data_dir;
  BatchOptions batch;
};

worker::RunnerOptions local_runner_options(const LocalWorker& w);

// Everything but the connection, spool and idle policy: device info, tasks per lease, device
// memory and the GPU busy share in heartbeats (`meter` may be null), prompts prepared ahead on
// `runner` (which must outlive the loop) where the flags ask for it.
worker::WorkerOptions local_worker_options(const LocalWorker& w,
                                           worker::TaskRunner* runner,
                                           std::shared_ptr<model::GpuUtilization> meter);

// The meter of the GPU busy share a worker on `device` sends with its heartbeats (NVML); null
// where it cannot be measured (CPU workers; no NVML: said on stderr for a GPU).
std::shared_ptr<model::GpuUtilization> gpu_busy_meter(const std::string& device);

// Where a worker's task time went, from its runner (one line).
std::string phase_summary(const worker::TaskRunner& runner);

}  // namespace hkv::cli
