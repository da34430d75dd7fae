// Scheduler worker calls: registration, and heartbeats that record a worker's state and renew its
// leases (telling it which of its tasks it no longer holds). Each runs as one relaxed-durability
// transaction: a lost heartbeat is repeated by the next one.
#include <cmath>
#include <optional>
#include <string>

#include "coordinator/scheduler.h"

namespace hkv::coordinator {

Result<std::string> Scheduler::register_worker(const WorkerInfo& info) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string id;
  HKV_RETURN_IF_ERROR(store_.transaction(
      [&]() -> Status {
        HKV_ASSIGN_OR_RETURN(id, workers_.upsert(info, now_ms_()));
        return Status();
      },
      Store::Durability::kRelaxed));
  return id;
}

Result<HeartbeatReply> Scheduler::heartbeat(const Heartbeat& beat) {
  if (!std::isfinite(beat.tokens_per_second) || beat.tokens_per_second < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "heartbeat from worker '%s': tokens_per_second %g, expected a finite value >= 0",
                  beat.worker_id.c_str(), beat.tokens_per_second);
  }
  if (!(beat.busy_fraction >= 0.0 && beat.busy_fraction <= 1.0)) {
    return errorf(StatusCode::kInvalidArgument,
                  "heartbeat from worker '%s': busy_fraction %g, expected a value in [0, 1]",
                  beat.worker_id.c_str(), beat.busy_fraction);
  }
  if (beat.gpu_busy_fraction &&
      !(*beat.gpu_busy_fraction >= 0.0 && *beat.gpu_busy_fraction <= 1.0)) {
    return errorf(StatusCode::kInvalidArgument,
                  "heartbeat from worker '%s': gpu_busy_fraction %g, expected a value in [0, 1]",
                  beat.worker_id.c_str(), *beat.gpu_busy_fraction);
  }
  if (beat.memory_used_bytes < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "heartbeat from worker '%s': memory_used_bytes %lld, expected >= 0",
                  beat.worker_id.c_str(), static_cast<long long>(beat.memory_used_bytes));
  }
  std::lock_guard<std::mutex> lock(mu_);
  HeartbeatReply reply;
  HKV_RETURN_IF_ERROR(store_.transaction(
      [&]() -> Status {
        const int64_t now = now_ms_();
        HKV_RETURN_IF_ERROR(workers_.touch(beat.worker_id, now, beat.tokens_per_second,
                                           beat.busy_fraction, beat.gpu_busy_fraction,
                                           beat.memory_used_bytes, beat.draining));
        if (beat.task_id != 0) {
          HKV_ASSIGN_OR_RETURN(bool held,
                               renew_lease(beat.task_id, beat.attempt, beat.worker_id, now));
          reply.cancel_current_task = !held;
        }
        for (const auto& [task_id, attempt] : beat.other_tasks) {
          HKV_ASSIGN_OR_RETURN(bool held, renew_lease(task_id, attempt, beat.worker_id, now));
          if (!held) {
            reply.cancel_task_ids.push_back(task_id);
          }
        }
        return Status();
      },
      Store::Durability::kRelaxed));
  return reply;
}

Result<bool> Scheduler::renew_lease(int64_t task_id,
                                    int32_t attempt,
                                    const std::string& worker_id,
                                    int64_t now) {
  HKV_ASSIGN_OR_RETURN(std::optional<TaskRow> task, load_task(task_id));
  bool holds = task.has_value() && is_leased(task->state) && task->worker_id == worker_id &&
               task->attempts == attempt;
  if (!holds) {
    return false;
  }
  // A heartbeat after the deadline but before expiry ran still renews: nobody else holds it.
  if (task->state == TaskState::kAssigned) {
    HKV_RETURN_IF_ERROR(transition(task->state, TaskState::kRunning));
  }
  HKV_RETURN_IF_ERROR(
      store_.execute("UPDATE tasks SET state = 'running', lease_deadline_ms = ? WHERE id = ?",
                     now + options_.lease_timeout_ms, task->id));
  return true;
}

}  // namespace hkv::coordinator
