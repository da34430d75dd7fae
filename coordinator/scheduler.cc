// Scheduler mutations: submit, lease, expiry and cancellation. Each public call takes the lock and
// runs as one transaction, so a crash between two statements changes nothing. Worker calls live in
// scheduler_workers.cc, reports in scheduler_reports.cc, read-only queries in
// scheduler_queries.cc.
#include "coordinator/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "common/json.h"
#include "common/logging.h"
#include "common/strings.h"
#include "jobs/model_needs.h"

namespace hkv::coordinator {

Status SchedulerOptions::validate() const {
  if (heartbeat_period_ms <= 0 || lease_timeout_ms <= heartbeat_period_ms) {
    return errorf(StatusCode::kInvalidArgument,
                  "scheduler options: need 0 < heartbeat_period_ms (%lld) < lease_timeout_ms "
                  "(%lld)",
                  static_cast<long long>(heartbeat_period_ms),
                  static_cast<long long>(lease_timeout_ms));
  }
  if (max_attempts < 1) {
    return errorf(StatusCode::kInvalidArgument, "scheduler options: max_attempts = %d, need >= 1",
                  max_attempts);
  }
  return Status();
}

int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<Scheduler>> Scheduler::open(const std::string& db_path,
                                                   const SchedulerOptions& options,
                                                   Clock now_ms) {
  HKV_RETURN_IF_ERROR(options.validate());
  HKV_ASSIGN_OR_RETURN(Store store, Store::open(db_path));
  return std::make_unique<Scheduler>(std::move(store), options, std::move(now_ms));
}

Scheduler::Scheduler(Store store, const SchedulerOptions& options, Clock now_ms)
    : store_(std::move(store)),
      workers_(&store_, options.lease_timeout_ms),
      options_(options),
      now_ms_(std::move(now_ms)),
      committer_([this] { commit_reports(); }) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> queue_lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  committer_.join();
}

Result<std::optional<Scheduler::TaskRow>> Scheduler::load_task(int64_t task_id) {
  HKV_ASSIGN_OR_RETURN(
      Statement stmt,
      store_.query(R"sql(SELECT sweep_id, state, attempts, max_attempts, worker_id, benchmark,
                                dataset, sample_key, options FROM tasks WHERE id = ?)sql",
                   task_id));
  HKV_ASSIGN_OR_RETURN(bool found, stmt.step());
  if (!found) {
    return std::optional<TaskRow>();
  }
  TaskRow t;
  t.id = task_id;
  t.sweep_id = stmt.column_int64(0);
  HKV_ASSIGN_OR_RETURN(t.state, parse_task_state(stmt.column_text(1)));
  t.attempts = static_cast<int32_t>(stmt.column_int64(2));
  t.max_attempts = static_cast<int32_t>(stmt.column_int64(3));
  t.worker_id = stmt.column_text(4);
  HKV_ASSIGN_OR_RETURN(t.unit.benchmark, jobs::parse_benchmark(stmt.column_text(5)));
  t.unit.dataset = stmt.column_text(6);
  t.unit.sample_key = stmt.column_text(7);
  t.unit.options = stmt.column_text(8);
  return std::optional<TaskRow>(std::move(t));
}

Result<SubmitResult> Scheduler::submit_sweep(std::string_view spec_text,
                                             std::string_view source,
                                             std::string_view request_id) {
  // Parsing and expansion are pure: done before taking the lock.
  HKV_ASSIGN_OR_RETURN(jobs::SweepSpec spec, jobs::parse_sweep_spec(spec_text, source));
  jobs::ExpandedSweep expanded = jobs::expand_sweep(spec);
  // Units share one of two config lists (the grid, or the detection config): JSON once per list.
  std::map<const std::vector<jobs::CompressionConfig>*, std::vector<std::string>> list_json;
  std::vector<const std::vector<std::string>*> unit_configs;  // per unit, config JSON by index
  std::set<std::string> distinct;  // config JSON: equal configs dump equally
  for (const jobs::WorkUnit& unit : expanded.units) {
    const std::vector<jobs::CompressionConfig>& configs = expanded.configs_for(unit);
    auto [it, added] = list_json.try_emplace(&configs);
    for (size_t i = 0; added && i < configs.size(); ++i) {
      it->second.push_back(dump_json(jobs::config_to_json(configs[i])));
      distinct.insert(it->second.back());
    }
    unit_configs.push_back(&it->second);
  }
  std::lock_guard<std::mutex> lock(mu_);
  SubmitResult out;
  out.num_tasks = static_cast<int64_t>(expanded.units.size());
  out.num_configs = static_cast<int64_t>(distinct.size());
  if (!request_id.empty()) {
    HKV_ASSIGN_OR_RETURN(
        Statement earlier,
        store_.query("SELECT id, spec_text FROM sweeps WHERE request_id = ?", request_id));
    HKV_ASSIGN_OR_RETURN(bool found, earlier.step());
    if (found) {
      if (earlier.column_text(1) != spec_text) {
        return errorf(StatusCode::kFailedPrecondition,
                      "request id '%.*s' already submitted sweep %lld with another spec text",
                      static_cast<int>(request_id.size()), request_id.data(),
                      static_cast<long long>(earlier.column_int64(0)));
      }
      out.sweep_id = earlier.column_int64(0);
      HKV_LOG(kInfo, "scheduler", "sweep=%lld: repeated submit (request %.*s) answered again",
              static_cast<long long>(out.sweep_id), static_cast<int>(request_id.size()),
              request_id.data());
      return out;
    }
  }
  // What a worker must hold: the sweep's memory_gib, else the estimate from config.json when this
  // host can read it (else 0: any worker).
  int64_t needs_memory =
      static_cast<int64_t>(spec.memory_gib * static_cast<double>(int64_t{1} << 30));
  if (needs_memory == 0) {
    const char* home = std::getenv("HOME");
    Result<int64_t> estimate =
        jobs::estimate_model_memory_bytes(spec.model, spec.dtype, home != nullptr ? home : "");
    needs_memory = estimate.ok() ? *estimate : 0;
  }
  HKV_RETURN_IF_ERROR(store_.transaction([&]() -> Status {
    std::optional<std::string> request;
    if (!request_id.empty()) {
      request = std::string(request_id);
    }
    HKV_RETURN_IF_ERROR(store_.execute(
        R"sql(INSERT INTO sweeps (name, spec_text, model, dtype, max_new_tokens, state, priority,
                                  created_ms, request_id, needs_memory_bytes)
              VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?))sql",
        spec.name, spec_text, spec.model, spec.dtype, spec.max_new_tokens, spec.priority, now_ms_(),
        request, needs_memory));
    out.sweep_id = store_.last_insert_rowid();
    HKV_ASSIGN_OR_RETURN(Statement insert_task,
                         store_.prepare(R"sql(INSERT INTO tasks (sweep_id, benchmark, dataset,
                             sample_key, options, state, max_attempts)
                             VALUES (?, ?, ?, ?, ?, 'pending', ?))sql"));
    HKV_ASSIGN_OR_RETURN(Statement insert_config,
                         store_.prepare("INSERT INTO task_configs VALUES (?, ?, ?)"));
    for (size_t u = 0; u < expanded.units.size(); ++u) {
      const jobs::WorkUnit& unit = expanded.units[u];
      HKV_RETURN_IF_ERROR(insert_task.bind_all(out.sweep_id, jobs::benchmark_name(unit.benchmark),
                                               unit.dataset, unit.sample_key, unit.options,
                                               options_.max_attempts));
      HKV_RETURN_IF_ERROR(insert_task.run());
      int64_t task_id = store_.last_insert_rowid();
      for (size_t i = 0; i < unit_configs[u]->size(); ++i) {
        HKV_RETURN_IF_ERROR(
            insert_config.bind_all(task_id, static_cast<int64_t>(i), (*unit_configs[u])[i]));
        HKV_RETURN_IF_ERROR(insert_config.run());
      }
    }
    return Status();
  }));
  HKV_LOG(kInfo, "scheduler", "sweep=%lld '%s' submitted: %lld tasks x %lld configs",
          static_cast<long long>(out.sweep_id), spec.name.c_str(),
          static_cast<long long>(out.num_tasks), static_cast<long long>(out.num_configs));
  return out;
}

Result<TaskAssignment> Scheduler::lease_task(const TaskRow& task, const std::string& worker_id) {
  HKV_RETURN_IF_ERROR(transition(task.state, TaskState::kAssigned));
  TaskAssignment out;
  const int64_t now = now_ms_();
  out.task_id = task.id;
  out.attempt = task.attempts + 1;
  out.sweep_id = task.sweep_id;
  out.unit = task.unit;
  out.lease_deadline_ms = now + options_.lease_timeout_ms;
  HKV_RETURN_IF_ERROR(store_.execute(
      R"sql(UPDATE tasks SET state = 'assigned', attempts = ?, worker_id = ?,
                lease_deadline_ms = ? WHERE id = ?)sql",
      out.attempt, worker_id, out.lease_deadline_ms, task.id));
  HKV_RETURN_IF_ERROR(store_.execute(
      R"sql(INSERT INTO attempts (task_id, attempt, worker_id, started_ms, outcome)
            VALUES (?, ?, ?, ?, 'running'))sql",
      task.id, out.attempt, worker_id, now));
  HKV_RETURN_IF_ERROR(workers_.assign(worker_id, task.id));
  HKV_ASSIGN_OR_RETURN(
      Statement sweep,
      store_.query("SELECT model, dtype, max_new_tokens FROM sweeps WHERE id = ?", task.sweep_id));
  HKV_RETURN_IF_ERROR(sweep.step());
  out.model = sweep.column_text(0);
  out.dtype = sweep.column_text(1);
  out.max_new_tokens = static_cast<int32_t>(sweep.column_int64(2));
  HKV_ASSIGN_OR_RETURN(
      Statement configs,
      store_.query("SELECT config_json FROM task_configs WHERE task_id = ? ORDER BY config_index",
                   task.id));
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, configs.step());
    if (!row) {
      return out;
    }
    std::string source = strformat("task %lld config", static_cast<long long>(task.id));
    HKV_ASSIGN_OR_RETURN(Json json, parse_json(configs.column_text(0), source));
    HKV_ASSIGN_OR_RETURN(jobs::CompressionConfig config, jobs::config_from_json(json));
    out.configs.push_back(std::move(config));
  }
}

Result<std::optional<TaskAssignment>> Scheduler::pull_task(const std::string& worker_id) {
  HKV_ASSIGN_OR_RETURN(std::vector<TaskAssignment> tasks, pull_tasks(worker_id, 1));
  if (tasks.empty()) {
    return std::optional<TaskAssignment>();
  }
  return std::optional<TaskAssignment>(std::move(tasks[0]));
}

Result<std::vector<TaskAssignment>> Scheduler::pull_tasks(const std::string& worker_id,
                                                          int32_t max_tasks) {
  if (max_tasks < 1 || max_tasks > kMaxTasksPerPull) {
    return errorf(StatusCode::kInvalidArgument,
                  "pull from worker '%s': max_tasks %d, expected 1..%d", worker_id.c_str(),
                  max_tasks, kMaxTasksPerPull);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TaskAssignment> out;
  HKV_RETURN_IF_ERROR(store_.transaction(
      [&]() -> Status {
        HKV_RETURN_IF_ERROR(workers_.require(worker_id));
        HKV_RETURN_IF_ERROR(expire_leases_locked());
        HKV_ASSIGN_OR_RETURN(bool draining, workers_.is_draining(worker_id));
        if (draining) {
          return Status();
        }
        HKV_ASSIGN_OR_RETURN(std::optional<int64_t> task_id, next_pending_task(worker_id));
        if (!task_id.has_value()) {
          return Status();
        }
        std::vector<int64_t> ids{*task_id};
        if (max_tasks > 1) {
          // The other pending tasks of the first one's block: task ids cut into runs of
          // max_tasks (block k holds ids k*max_tasks+1 .. (k+1)*max_tasks), of the same sweep.
          // Fixed blocks make the batches (and so the batched decode's rounding) the same
          // whatever the number of workers and the order they pull in; two indexed look-ups.
          HKV_ASSIGN_OR_RETURN(Statement more, store_.query(R"sql(SELECT id FROM tasks
                                 WHERE sweep_id = (SELECT sweep_id FROM tasks WHERE id = ?1)
                                   AND state = 'pending' AND id > ?1 AND id <= ?2
                                 ORDER BY id)sql",
                                                            *task_id,
                                                            ((*task_id - 1) / max_tasks + 1) *
                                                                static_cast<int64_t>(max_tasks)));
          while (true) {
            HKV_ASSIGN_OR_RETURN(bool row, more.step());
            if (!row) {
              break;
            }
            ids.push_back(more.column_int64(0));
          }
        }
        for (int64_t id : ids) {
          HKV_ASSIGN_OR_RETURN(std::optional<TaskRow> task, load_task(id));
          HKV_ASSIGN_OR_RETURN(TaskAssignment a, lease_task(*task, worker_id));
          out.push_back(std::move(a));
        }
        // The worker's current task is the batch's first (status shows one task per worker).
        return workers_.assign(worker_id, ids.front());
      },
      Store::Durability::kRelaxed));
  return out;
}

Result<int64_t> Scheduler::expire_leases_locked() {
  const int64_t now = now_ms_();
  HKV_ASSIGN_OR_RETURN(
      Statement overdue,
      store_.query(R"sql(SELECT id FROM tasks WHERE state IN ('assigned', 'running')
                             AND lease_deadline_ms < ? ORDER BY id)sql",
                   now));
  std::vector<int64_t> ids;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, overdue.step());
    if (!row) {
      break;
    }
    ids.push_back(overdue.column_int64(0));
  }
  for (int64_t id : ids) {
    HKV_ASSIGN_OR_RETURN(std::optional<TaskRow> task, load_task(id));
    std::string error =
        strformat("lease expired: no heartbeat from worker '%s' for %lld ms",
                  task->worker_id.c_str(), static_cast<long long>(options_.lease_timeout_ms));
    HKV_LOG(kInfo, "scheduler", "task=%lld attempt=%d %s", static_cast<long long>(id),
            task->attempts, error.c_str());
    HKV_RETURN_IF_ERROR(end_attempt(*task, "lease_expired", error, true));
  }
  return static_cast<int64_t>(ids.size());
}

Result<int64_t> Scheduler::expire_leases() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t expired = 0;
  HKV_RETURN_IF_ERROR(store_.transaction(
      [&]() -> Status {
        HKV_ASSIGN_OR_RETURN(expired, expire_leases_locked());
        return Status();
      },
      Store::Durability::kRelaxed));
  return expired;
}

Result<int64_t> Scheduler::cancel_sweep(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t cancelled = 0;
  HKV_RETURN_IF_ERROR(store_.transaction([&]() -> Status {
    HKV_ASSIGN_OR_RETURN(Statement sweep,
                         store_.query("SELECT state FROM sweeps WHERE id = ?", sweep_id));
    HKV_ASSIGN_OR_RETURN(bool found, sweep.step());
    if (!found) {
      return errorf(StatusCode::kNotFound, "sweep %lld does not exist",
                    static_cast<long long>(sweep_id));
    }
    if (sweep.column_text(0) != "running") {
      return Status();  // finished or already cancelled: nothing to do
    }
    HKV_ASSIGN_OR_RETURN(Statement open_tasks,
                         store_.query(R"sql(SELECT id FROM tasks WHERE sweep_id = ?
                               AND state IN ('pending', 'assigned', 'running') ORDER BY id)sql",
                                      sweep_id));
    std::vector<int64_t> ids;
    while (true) {
      HKV_ASSIGN_OR_RETURN(bool row, open_tasks.step());
      if (!row) {
        break;
      }
      ids.push_back(open_tasks.column_int64(0));
    }
    const int64_t now = now_ms_();
    for (int64_t id : ids) {
      HKV_ASSIGN_OR_RETURN(std::optional<TaskRow> task, load_task(id));
      HKV_RETURN_IF_ERROR(transition(task->state, TaskState::kCancelled));
      if (is_leased(task->state)) {
        HKV_RETURN_IF_ERROR(store_.execute(
            R"sql(UPDATE attempts SET ended_ms = ?, outcome = 'cancelled'
                  WHERE task_id = ? AND attempt = ? AND ended_ms IS NULL)sql",
            now, id, task->attempts));
        HKV_RETURN_IF_ERROR(workers_.release(task->worker_id, id, false));
      }
      HKV_RETURN_IF_ERROR(store_.execute(
          "UPDATE tasks SET state = 'cancelled', lease_deadline_ms = NULL WHERE id = ?", id));
    }
    cancelled = static_cast<int64_t>(ids.size());
    return store_.execute("UPDATE sweeps SET state = 'cancelled' WHERE id = ?", sweep_id);
  }));
  return cancelled;
}

Status Scheduler::refresh_sweep_state(int64_t sweep_id) {
  // A running sweep with no unfinished task is done: failed if any task failed.
  return store_.execute(
      R"sql(UPDATE sweeps SET state = CASE WHEN EXISTS (
                SELECT 1 FROM tasks WHERE sweep_id = ?1 AND state = 'failed')
                THEN 'failed' ELSE 'succeeded' END
            WHERE id = ?1 AND state = 'running' AND NOT EXISTS (
                SELECT 1 FROM tasks WHERE sweep_id = ?1
                    AND state IN ('pending', 'assigned', 'running')))sql",
      sweep_id);
}

}  // namespace hkv::coordinator
