// Scheduler read-only queries: sweep progress, workers, tasks and results. They take the same lock
// as the mutations (one connection) but never write.
#include <utility>

#include "common/json.h"
#include "common/strings.h"
#include "coordinator/scheduler.h"
#include "jobs/model_needs.h"

namespace hkv::coordinator {
namespace {

Result<SweepState> parse_sweep_state(const std::string& name) {
  for (SweepState s : {SweepState::kRunning, SweepState::kSucceeded, SweepState::kFailed,
                       SweepState::kCancelled}) {
    if (name == sweep_state_name(s)) {
      return s;
    }
  }
  return errorf(StatusCode::kDataLoss, "unknown sweep state '%s' in the store", name.c_str());
}

// benchmark, dataset, sample_key; listings leave the heads settings (tasks.options) out.
Result<jobs::WorkUnit> unit_from_columns(const Statement& stmt, int first_column) {
  jobs::WorkUnit unit;
  HKV_ASSIGN_OR_RETURN(unit.benchmark, jobs::parse_benchmark(stmt.column_text(first_column)));
  unit.dataset = stmt.column_text(first_column + 1);
  unit.sample_key = stmt.column_text(first_column + 2);
  return unit;
}

}  // namespace

const char* sweep_state_name(SweepState state) {
  switch (state) {
    case SweepState::kRunning:
      return "running";
    case SweepState::kSucceeded:
      return "succeeded";
    case SweepState::kFailed:
      return "failed";
    case SweepState::kCancelled:
      return "cancelled";
  }
  return "?";
}

Result<SweepProgress> Scheduler::progress_locked(int64_t sweep_id) {
  HKV_ASSIGN_OR_RETURN(
      Statement sweep,
      store_.query(
          "SELECT name, state, priority, model, needs_memory_bytes FROM sweeps WHERE id = ?",
          sweep_id));
  HKV_ASSIGN_OR_RETURN(bool found, sweep.step());
  if (!found) {
    return errorf(StatusCode::kNotFound, "sweep %lld does not exist",
                  static_cast<long long>(sweep_id));
  }
  SweepProgress p;
  p.sweep_id = sweep_id;
  p.name = sweep.column_text(0);
  HKV_ASSIGN_OR_RETURN(p.state, parse_sweep_state(sweep.column_text(1)));
  p.priority = static_cast<int32_t>(sweep.column_int64(2));
  p.model = sweep.column_text(3);
  p.needs_memory_bytes = sweep.column_int64(4);
  HKV_ASSIGN_OR_RETURN(
      Statement counts,
      store_.query("SELECT state, COUNT(*) FROM tasks WHERE sweep_id = ? GROUP BY state",
                   sweep_id));
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, counts.step());
    if (!row) {
      break;
    }
    HKV_ASSIGN_OR_RETURN(TaskState state, parse_task_state(counts.column_text(0)));
    const int64_t n = counts.column_int64(1);
    p.total += n;
    switch (state) {
      case TaskState::kPending:
        p.pending += n;
        break;
      case TaskState::kAssigned:
      case TaskState::kRunning:
        p.running += n;
        break;
      case TaskState::kSucceeded:
        p.succeeded += n;
        break;
      case TaskState::kFailed:
        p.failed += n;
        break;
      case TaskState::kCancelled:
        p.cancelled += n;
        break;
    }
  }
  HKV_ASSIGN_OR_RETURN(
      Statement attempts,
      store_.query(R"sql(SELECT COUNT(*), COALESCE(AVG(a.ended_ms - a.started_ms), 0)
                         FROM attempts a JOIN tasks t ON t.id = a.task_id
                         WHERE t.sweep_id = ? AND a.outcome = 'succeeded')sql",
                   sweep_id));
  HKV_RETURN_IF_ERROR(attempts.step());
  p.prefills = attempts.column_int64(0);
  p.mean_attempt_ms = attempts.column_double(1);
  if (p.state == SweepState::kRunning && p.pending > 0 && p.needs_memory_bytes > 0) {
    // Live workers (heartbeat within the lease timeout): does any hold what the sweep needs?
    HKV_ASSIGN_OR_RETURN(Statement live,
                         store_.query(R"sql(SELECT COUNT(*), COALESCE(MAX(memory_bytes), 0),
                                  COALESCE(SUM(memory_bytes = 0 OR memory_bytes >= ?1), 0)
                           FROM workers WHERE last_heartbeat_ms >= ?2)sql",
                                      p.needs_memory_bytes, now_ms_() - options_.lease_timeout_ms));
    HKV_RETURN_IF_ERROR(live.step());
    if (live.column_int64(0) > 0 && live.column_int64(2) == 0) {
      p.waiting = strformat(
          "needs %.1f GiB of memory (memory_gib, or its config.json's weights x %.1f); the "
          "largest of the %lld live workers holds %.1f GiB: start a worker with more memory or "
          "--tp ranks",
          static_cast<double>(p.needs_memory_bytes) / (1 << 30), jobs::kMemoryHeadroom,
          static_cast<long long>(live.column_int64(0)),
          static_cast<double>(live.column_int64(1)) / (1 << 30));
    }
  }
  return p;
}

Result<std::optional<int64_t>> Scheduler::next_pending_task(const std::string& worker_id) {
  // The worker's memory (all its ranks; 0 from clients that do not report it: they take any).
  HKV_ASSIGN_OR_RETURN(Statement worker,
                       store_.query("SELECT memory_bytes FROM workers WHERE id = ?", worker_id));
  HKV_ASSIGN_OR_RETURN(bool known, worker.step());
  const int64_t memory = known ? worker.column_int64(0) : 0;
  // Indexed look-ups instead of one join, so a pull does not sort every pending task: the first
  // running sweep with pending tasks, by priority, that fits the worker.
  HKV_ASSIGN_OR_RETURN(
      Statement sweep,
      store_.query(R"sql(SELECT id, needs_memory_bytes FROM sweeps s WHERE state = 'running'
                           AND EXISTS (SELECT 1 FROM tasks t WHERE t.sweep_id = s.id
                                         AND t.state = 'pending')
                         ORDER BY priority DESC, created_ms, id)sql"));
  int64_t sweep_id = 0;
  while (sweep_id == 0) {
    HKV_ASSIGN_OR_RETURN(bool found, sweep.step());
    if (!found) {
      return std::optional<int64_t>();
    }
    const int64_t needs = sweep.column_int64(1);
    if (needs == 0 || memory == 0 || needs <= memory) {
      sweep_id = sweep.column_int64(0);
    }
  }
  HKV_ASSIGN_OR_RETURN(
      Statement task,
      store_.query("SELECT id FROM tasks WHERE sweep_id = ? AND state = 'pending' ORDER BY id "
                   "LIMIT 1",
                   sweep_id));
  HKV_ASSIGN_OR_RETURN(bool found, task.step());
  return found ? std::optional<int64_t>(task.column_int64(0)) : std::optional<int64_t>();
}

Result<SweepProgress> Scheduler::sweep_progress(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_locked(sweep_id);
}

Result<std::vector<SweepProgress>> Scheduler::list_sweeps() {
  std::lock_guard<std::mutex> lock(mu_);
  HKV_ASSIGN_OR_RETURN(Statement ids, store_.query("SELECT id FROM sweeps ORDER BY id"));
  std::vector<int64_t> sweep_ids;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, ids.step());
    if (!row) {
      break;
    }
    sweep_ids.push_back(ids.column_int64(0));
  }
  std::vector<SweepProgress> out;
  for (int64_t id : sweep_ids) {
    HKV_ASSIGN_OR_RETURN(SweepProgress p, progress_locked(id));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<WorkerStatus>> Scheduler::list_workers() {
  std::lock_guard<std::mutex> lock(mu_);
  return workers_.list(now_ms_());
}

Result<std::vector<TaskSummary>> Scheduler::list_tasks(int64_t sweep_id) {
  int64_t next = 0;
  return list_tasks_page(sweep_id, 0, 0, &next);
}

Result<std::vector<TaskSummary>> Scheduler::list_tasks_page(int64_t sweep_id,
                                                            int64_t after_task_id,
                                                            int64_t page_bytes,
                                                            int64_t* next) {
  std::lock_guard<std::mutex> lock(mu_);
  HKV_ASSIGN_OR_RETURN(
      Statement stmt, store_.query(R"sql(SELECT id, benchmark, dataset, sample_key, state, attempts,
                                COALESCE(last_error, ''), COALESCE(worker_id, '')
                         FROM tasks WHERE sweep_id = ? AND id > ? ORDER BY id)sql",
                                   sweep_id, after_task_id));
  std::vector<TaskSummary> out;
  int64_t bytes = 0;
  *next = 0;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return out;
    }
    if (page_bytes > 0 && bytes >= page_bytes) {
      *next = out.back().task_id;  // more follow
      return out;
    }
    TaskSummary t;
    t.task_id = stmt.column_int64(0);
    HKV_ASSIGN_OR_RETURN(t.unit, unit_from_columns(stmt, 1));
    HKV_ASSIGN_OR_RETURN(t.state, parse_task_state(stmt.column_text(4)));
    t.attempts = static_cast<int32_t>(stmt.column_int64(5));
    t.last_error = stmt.column_text(6);
    t.worker_id = stmt.column_text(7);
    bytes += 64 + static_cast<int64_t>(t.unit.dataset.size() + t.unit.sample_key.size() +
                                       t.last_error.size() + t.worker_id.size());
    out.push_back(std::move(t));
  }
}

Result<std::vector<ResultRow>> Scheduler::results(int64_t sweep_id) {
  int64_t next = 0;
  return results_page(sweep_id, 0, 0, &next);
}

Result<std::vector<ResultRow>> Scheduler::results_page(int64_t sweep_id,
                                                       int64_t after_task_id,
                                                       int64_t page_bytes,
                                                       int64_t* next) {
  std::lock_guard<std::mutex> lock(mu_);
  HKV_ASSIGN_OR_RETURN(
      Statement stmt,
      store_.query(
          R"sql(SELECT t.id, t.benchmark, t.dataset, t.sample_key, r.attempt, r.config_index,
                       c.config_json, r.prediction, r.score, r.cache_bytes, r.cache_entries,
                       r.decode_ms, r.new_tokens, r.head_scores,
                       COALESCE(a.prompt_tokens, 0), COALESCE(a.prefill_ms, 0),
                       COALESCE(a.references_json, '[]')
                FROM results r JOIN tasks t ON t.id = r.task_id
                JOIN task_configs c ON c.task_id = r.task_id AND c.config_index = r.config_index
                LEFT JOIN attempts a ON a.task_id = r.task_id AND a.attempt = r.attempt
                WHERE t.sweep_id = ? AND t.id > ? ORDER BY t.id, r.config_index)sql",
          sweep_id, after_task_id));
  std::vector<ResultRow> out;
  int64_t bytes = 0;
  *next = 0;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return out;
    }
    ResultRow r;
    r.task_id = stmt.column_int64(0);
    // Pages end between tasks, so a task's rows always arrive together.
    if (page_bytes > 0 && bytes >= page_bytes && r.task_id != out.back().task_id) {
      *next = out.back().task_id;
      return out;
    }
    HKV_ASSIGN_OR_RETURN(r.unit, unit_from_columns(stmt, 1));
    r.attempt = static_cast<int32_t>(stmt.column_int64(4));
    r.result.config_index = static_cast<int32_t>(stmt.column_int64(5));
    std::string source = strformat("task %lld config", static_cast<long long>(r.task_id));
    HKV_ASSIGN_OR_RETURN(Json config, parse_json(stmt.column_text(6), source));
    HKV_ASSIGN_OR_RETURN(r.config, jobs::config_from_json(config));
    r.result.prediction = stmt.column_text(7);
    r.result.score = stmt.column_double(8);
    r.result.cache_bytes = stmt.column_int64(9);
    r.result.cache_entries = stmt.column_int64(10);
    r.result.decode_ms = stmt.column_double(11);
    r.result.new_tokens = static_cast<int32_t>(stmt.column_int64(12));
    r.prompt_tokens = stmt.column_int64(14);
    r.prefill_ms = stmt.column_double(15);
    std::string refs_source = strformat("task %lld references", static_cast<long long>(r.task_id));
    HKV_ASSIGN_OR_RETURN(Json refs, parse_json(stmt.column_text(16), refs_source));
    if (!refs.is_array()) {
      return errorf(StatusCode::kDataLoss, "%s: expected a JSON array, got %s", refs_source.c_str(),
                    stmt.column_text(16).c_str());
    }
    for (const Json& ref : refs) {
      if (ref.is_string()) {
        r.references.push_back(ref.get<std::string>());
        bytes += static_cast<int64_t>(r.references.back().size());
      }
    }
    if (!stmt.column_is_null(13)) {
      std::string heads_source =
          strformat("task %lld head scores", static_cast<long long>(r.task_id));
      HKV_ASSIGN_OR_RETURN(r.result.head_scores,
                           jobs::head_test_scores_from_json(stmt.column_text(13), heads_source));
    }
    bytes += 160 + static_cast<int64_t>(r.result.prediction.size() + r.unit.dataset.size() +
                                        r.unit.sample_key.size() + r.config.head_scores.size());
    if (r.result.head_scores) {
      bytes += 10 * static_cast<int64_t>(r.result.head_scores->scores.size());
    }
    out.push_back(std::move(r));
  }
}

Result<std::vector<AttemptOutcomeCount>> Scheduler::attempt_outcomes() {
  std::lock_guard<std::mutex> lock(mu_);
  HKV_ASSIGN_OR_RETURN(
      Statement stmt, store_.query(R"sql(SELECT outcome, COALESCE(error, ''), COUNT(*) FROM attempts
                         WHERE outcome NOT IN ('succeeded', 'running')
                         GROUP BY outcome, COALESCE(error, '') ORDER BY outcome)sql"));
  std::vector<AttemptOutcomeCount> out;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return out;
    }
    out.push_back({stmt.column_text(0), stmt.column_text(1), stmt.column_int64(2)});
  }
}

Result<std::vector<TaskSummary>> Scheduler::failed_tasks(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mu_);
  HKV_ASSIGN_OR_RETURN(Statement stmt,
                       store_.query(R"sql(SELECT id, benchmark, dataset, sample_key, attempts,
                                COALESCE(last_error, ''), COALESCE(worker_id, '')
                         FROM tasks WHERE sweep_id = ? AND state = 'failed' ORDER BY id)sql",
                                    sweep_id));
  std::vector<TaskSummary> out;
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) {
      return out;
    }
    TaskSummary t;
    t.task_id = stmt.column_int64(0);
    HKV_ASSIGN_OR_RETURN(t.unit, unit_from_columns(stmt, 1));
    t.state = TaskState::kFailed;
    t.attempts = static_cast<int32_t>(stmt.column_int64(4));
    t.last_error = stmt.column_text(5);
    t.worker_id = stmt.column_text(6);
    out.push_back(std::move(t));
  }
}

}  // namespace hkv::coordinator
