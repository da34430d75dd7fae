// Workers as the coordinator knows them: registration, heartbeats, the task each one holds and its
// liveness. A worker is "lost" when its last heartbeat is older than the lease timeout; the tasks
// it held are recovered by the Scheduler's lease expiry, not here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "coordinator/store.h"

namespace hkv::coordinator {

struct WorkerInfo {
  std::string worker_id;  // empty at registration: the registry derives one
  std::string hostname;
  std::string device;       // "cuda:0" | "cpu"
  std::string device_name;  // "NVIDIA H100 80GB HBM3"
  int64_t memory_bytes = 0;
  std::string instance_id;  // random per worker process ("" from old clients)
  int32_t tp = 1;           // tensor-parallel ranks; memory_bytes is all of theirs together
};

struct WorkerStatus {
  WorkerInfo info;
  std::string state;            // "idle" | "busy" | "draining" | "lost"
  int64_t current_task_id = 0;  // 0 when none
  double tokens_per_second = 0.0;
  int64_t last_heartbeat_ms = 0;
  int64_t prefills = 0;           // tasks completed: each is one prefill shared by all configs
  double busy_fraction = 0.0;     // as of the last heartbeat
  std::string model;              // the current task's sweep model ("" when idle)
  int64_t memory_used_bytes = 0;  // device memory in use, as of the last heartbeat
  std::optional<double> gpu_busy_fraction;  // the GPU's, as of the last heartbeat (if measured)
};

// Table access for `workers`. Every call runs inside the caller's transaction and lock.
class WorkerRegistry {
 public:
  WorkerRegistry(Store* store, int64_t lease_timeout_ms)
      : store_(store), lease_timeout_ms_(lease_timeout_ms) {}

  // Inserts or refreshes a worker and returns its id. An empty id becomes
  // "hostname/device/<instance[:8]>" ("hostname/device" without an instance id, so a restarted
  // old client gets its old id back); without a hostname it becomes "worker-N". FailedPrecondition
  // when the id belongs to another instance that is still alive.
  Result<std::string> upsert(const WorkerInfo& info, int64_t now_ms);
  // NotFound unless `worker_id` is registered.
  Status require(const std::string& worker_id);
  // Records a heartbeat.
  Status touch(const std::string& worker_id,
               int64_t now_ms,
               double tokens_per_second,
               double busy_fraction,
               std::optional<double> gpu_busy_fraction,
               int64_t memory_used_bytes,
               bool draining);
  Result<bool> is_draining(const std::string& worker_id);
  // The worker now holds `task_id`.
  Status assign(const std::string& worker_id, int64_t task_id);
  // The worker no longer holds `task_id` (no-op if it holds another); `prefilled` counts a
  // completed task.
  Status release(const std::string& worker_id, int64_t task_id, bool prefilled);
  // All workers by id, with "lost" for those silent longer than the lease timeout.
  Result<std::vector<WorkerStatus>> list(int64_t now_ms);

 private:
  Result<std::string> derive_id(const WorkerInfo& info);

  Store* store_;
  int64_t lease_timeout_ms_;
};

}  // namespace hkv::coordinator
