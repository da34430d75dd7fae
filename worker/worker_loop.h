// The worker process loop: register, then pull -> execute -> report until stopped, with a
// heartbeat thread that renews the current task's lease and learns of cancellations. SIGTERM
// (stop flag) drains: the current task (and a lease taken ahead) finishes and is reported, then
// the loop exits.
// A coordinator outage of any length is waited out: every call is retried with capped backoff,
// and each finished report is kept on local disk (ReportSpool) until the coordinator answers it,
// so a result survives the outage, and a worker restart too.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "hkv/v1/coordinator.pb.h"
#include "worker/coordinator_client.h"

namespace hkv::worker {

// Runs one task; fills the report's results (ok) or returns the error. `cancelled` turns true when
// the coordinator says the task is no longer ours; the executor may stop early.
using TaskExecutor = std::function<Status(
    const v1::Task& task, const std::atomic<bool>& cancelled, v1::ReportResultRequest* report)>;

// Runs the tasks of one lease (several when WorkerOptions.batch_tasks > 1): one status and one
// report per task, in order; a report's results are read only when its status is ok. `cancelled`
// turns true when the coordinator says any of them is no longer ours.
using BatchExecutor =
    std::function<std::vector<Status>(const std::vector<v1::Task>& tasks,
                                      const std::atomic<bool>& cancelled,
                                      std::vector<v1::ReportResultRequest>* reports)>;

// A BatchExecutor that runs each task with `execute`, one after the other.
BatchExecutor one_by_one(TaskExecutor execute);

struct WorkerOptions {
  ClientOptions client;
  v1::WorkerInfo info;              // device, device name, memory
  int64_t idle_poll_ms = 300;       // wait between empty pulls
  bool exit_when_idle = false;      // stop after the first empty pull (tests, `headkv run`)
  std::string spool_dir;            // unacknowledged reports; "" = default_spool_dir()
  int64_t max_backoff_ms = 30'000;  // cap of the wait between tries while the coordinator is away
  // Tasks leased per pull (1..64): a GPU worker decodes several samples as one batch.
  int32_t batch_tasks = 1;
  // Device memory in use, sent with every heartbeat (unset: 0).
  std::function<int64_t()> memory_used;
  // The GPU's busy share since the previous call, sent with every heartbeat that has one (unset,
  // or nullopt: the heartbeat carries none).
  std::function<std::optional<double>()> gpu_busy;
  // When set, the worker leases the next tasks while a lease runs and hands them to this on a
  // second thread (to build their prompts on the CPU while the GPU runs), so the next lease starts
  // on the engine at once. The worker then holds two leases at a time; a draining worker runs
  // both. Tasks the coordinator takes back before they start are dropped unrun.
  std::function<void(const std::vector<v1::Task>& tasks)> prepare_ahead;
};

// Status of a failed task: deterministic failures (bad input, missing files, unsupported) are not
// retried; everything else is.
bool is_retryable(const Status& status);

Status run_worker(const WorkerOptions& options,
                  const BatchExecutor& execute,
                  const std::atomic<bool>& stop);

}  // namespace hkv::worker
