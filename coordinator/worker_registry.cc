// The workers table. Stored states are idle, busy and draining; "lost" is derived from the clock
// when listing, so a coordinator restart does not need to rewrite liveness.
#include "coordinator/worker_registry.h"

#include <algorithm>

namespace hkv::coordinator {

Result<std::string> WorkerRegistry::derive_id(const WorkerInfo& info) {
  if (!info.worker_id.empty()) {
    return info.worker_id;
  }
  if (!info.hostname.empty()) {
    std::string id = info.hostname + "/" + (info.device.empty() ? std::string("cpu") : info.device);
    return info.instance_id.empty() ? id : id + "/" + info.instance_id.substr(0, 8);
  }
  HKV_ASSIGN_OR_RETURN(Statement count, store_->query("SELECT COUNT(*) FROM workers"));
  HKV_RETURN_IF_ERROR(count.step());
  for (int64_t n = count.column_int64(0) + 1;; ++n) {
    std::string id = "worker-" + std::to_string(n);
    HKV_ASSIGN_OR_RETURN(Statement taken, store_->query("SELECT 1 FROM workers WHERE id = ?", id));
    HKV_ASSIGN_OR_RETURN(bool exists, taken.step());
    if (!exists) {
      return id;
    }
  }
}

Result<std::string> WorkerRegistry::upsert(const WorkerInfo& info, int64_t now_ms) {
  HKV_ASSIGN_OR_RETURN(std::string id, derive_id(info));
  HKV_ASSIGN_OR_RETURN(
      Statement holder,
      store_->query("SELECT instance_id, last_heartbeat_ms FROM workers WHERE id = ?", id));
  HKV_ASSIGN_OR_RETURN(bool exists, holder.step());
  if (exists) {
    const std::string held_by = holder.column_text(0);
    const bool alive = now_ms - holder.column_int64(1) <= lease_timeout_ms_;
    if (alive && !held_by.empty() && held_by != info.instance_id) {
      return errorf(StatusCode::kFailedPrecondition,
                    "worker id '%s' belongs to another live worker process (heard from %lld ms "
                    "ago); each process registers with its own instance id",
                    id.c_str(), static_cast<long long>(now_ms - holder.column_int64(1)));
    }
  }
  // A re-registering worker keeps its counters and current task: if it restarted, the task's
  // lease lapses and expiry requeues it.
  HKV_RETURN_IF_ERROR(store_->execute(
      R"sql(INSERT INTO workers (id, hostname, device, device_name, memory_bytes, state,
                                 registered_ms, last_heartbeat_ms, instance_id, tp)
            VALUES (?1, ?2, ?3, ?4, ?5, 'idle', ?6, ?6, ?7, ?8)
            ON CONFLICT (id) DO UPDATE SET hostname = ?2, device = ?3, device_name = ?4,
                memory_bytes = ?5, last_heartbeat_ms = ?6, instance_id = ?7, tp = ?8,
                state = CASE WHEN current_task_id IS NULL THEN 'idle' ELSE 'busy' END)sql",
      id, info.hostname, info.device, info.device_name, info.memory_bytes, now_ms, info.instance_id,
      std::max<int32_t>(1, info.tp)));
  return id;
}

Status WorkerRegistry::require(const std::string& worker_id) {
  HKV_ASSIGN_OR_RETURN(Statement stmt,
                       store_->query("SELECT 1 FROM workers WHERE id = ?", worker_id));
  HKV_ASSIGN_OR_RETURN(bool found, stmt.step());
  if (!found) {
    return errorf(StatusCode::kNotFound, "worker '%s' is not registered", worker_id.c_str());
  }
  return Status();
}

Status WorkerRegistry::touch(const std::string& worker_id,
                             int64_t now_ms,
                             double tokens_per_second,
                             double busy_fraction,
                             std::optional<double> gpu_busy_fraction,
                             int64_t memory_used_bytes,
                             bool draining) {
  HKV_RETURN_IF_ERROR(require(worker_id));
  return store_->execute(
      R"sql(UPDATE workers SET last_heartbeat_ms = ?2, tokens_per_second = ?3, busy_fraction = ?5,
                memory_used_bytes = ?6, gpu_busy_fraction = ?7,
                state = CASE WHEN ?4 THEN 'draining'
                             WHEN current_task_id IS NULL THEN 'idle' ELSE 'busy' END
            WHERE id = ?1)sql",
      worker_id, now_ms, tokens_per_second, static_cast<int64_t>(draining), busy_fraction,
      memory_used_bytes, gpu_busy_fraction);
}

Result<bool> WorkerRegistry::is_draining(const std::string& worker_id) {
  HKV_ASSIGN_OR_RETURN(Statement stmt,
                       store_->query("SELECT state FROM workers WHERE id = ?", worker_id));
  HKV_ASSIGN_OR_RETURN(bool found, stmt.step());
  return found && stmt.column_text(0) == "draining";
}

Status WorkerRegistry::assign(const std::string& worker_id, int64_t task_id) {
  return store_->execute(
      R"sql(UPDATE workers SET current_task_id = ?2,
                state = CASE WHEN state = 'draining' THEN state ELSE 'busy' END
            WHERE id = ?1)sql",
      worker_id, task_id);
}

Status WorkerRegistry::release(const std::string& worker_id, int64_t task_id, bool prefilled) {
  HKV_RETURN_IF_ERROR(store_->execute("UPDATE workers SET prefills = prefills + ?2 WHERE id = ?1",
                                      worker_id, static_cast<int64_t>(prefilled)));
  // A worker holding a batch of tasks stays busy with the batch's next one.
  HKV_RETURN_IF_ERROR(store_->execute(
      R"sql(UPDATE workers SET current_task_id = (
                SELECT id FROM tasks WHERE worker_id = ?1 AND id != ?2
                  AND state IN ('assigned', 'running') ORDER BY id LIMIT 1)
            WHERE id = ?1 AND current_task_id = ?2)sql",
      worker_id, task_id));
  return store_->execute(
      R"sql(UPDATE workers SET state = CASE WHEN state = 'draining' THEN state
                                            WHEN current_task_id IS NULL THEN 'idle'
                                            ELSE 'busy' END
            WHERE id = ?1)sql",
      worker_id);
}

Result<std::vector<WorkerStatus>> WorkerRegistry::list(int64_t now_ms) {
  HKV_ASSIGN_OR_RETURN(
      Statement stmt,
      store_->query(R"sql(SELECT w.id, w.hostname, w.device, w.device_name, w.memory_bytes,
                                 w.state, w.current_task_id, w.tokens_per_second,
                                 w.last_heartbeat_ms, w.prefills, w.busy_fraction,
                                 COALESCE(s.model, ''), w.memory_used_bytes, w.tp,
                                 w.gpu_busy_fraction
                          FROM workers w LEFT JOIN tasks t ON t.id = w.current_task_id
                          LEFT JOIN sweeps s ON s.id = t.sweep_id ORDER BY w.id)sql"));
  std::vector<WorkerStatus> out;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return out;
    }
    WorkerStatus w;
    w.info = {stmt.column_text(0), stmt.column_text(1), stmt.column_text(2), stmt.column_text(3),
              stmt.column_int64(4)};
    w.state = stmt.column_text(5);
    w.current_task_id = stmt.column_is_null(6) ? 0 : stmt.column_int64(6);
    w.tokens_per_second = stmt.column_double(7);
    w.last_heartbeat_ms = stmt.column_int64(8);
    w.prefills = stmt.column_int64(9);
    w.busy_fraction = stmt.column_double(10);
    w.model = stmt.column_text(11);
    w.memory_used_bytes = stmt.column_int64(12);
    w.info.tp = static_cast<int32_t>(stmt.column_int64(13));
    if (!stmt.column_is_null(14)) {
      w.gpu_busy_fraction = stmt.column_double(14);
    }
    if (now_ms - w.last_heartbeat_ms > lease_timeout_ms_) {
      w.state = "lost";
    }
    out.push_back(std::move(w));
  }
}

}  // namespace hkv::coordinator
