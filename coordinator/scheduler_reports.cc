// Scheduler reports: validation, success and failure bookkeeping, and the group commit that lets
// reports arriving together share one transaction and one disk sync.
#include <algorithm>
#include <cmath>
#include <future>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/logging.h"
#include "common/strings.h"
#include "coordinator/scheduler.h"

namespace hkv::coordinator {
namespace {

// Non-finite numbers would pass the RPC, then fail the NOT NULL columns (SQLite stores NaN as
// NULL): rejected up front, naming the field, so nothing is acknowledged and then lost.
Status validate_report_values(const TaskReport& r) {
  auto bad = [&r](const std::string& field, double value) {
    return errorf(StatusCode::kInvalidArgument,
                  "report for task %lld attempt %d: %s is %g, expected a finite number",
                  static_cast<long long>(r.task_id), r.attempt, field.c_str(), value);
  };
  if (!std::isfinite(r.prefill_ms)) {
    return bad("prefill_ms", r.prefill_ms);
  }
  for (const ConfigResult& c : r.results) {
    const std::string at = strformat("results[config %d].", c.config_index);
    if (!std::isfinite(c.score)) {
      return bad(at + "score", c.score);
    }
    if (!std::isfinite(c.decode_ms)) {
      return bad(at + "decode_ms", c.decode_ms);
    }
    if (c.head_scores) {
      const jobs::HeadTestScores& h = *c.head_scores;
      const int64_t cells = static_cast<int64_t>(h.num_layers) * h.num_heads;
      if (h.num_layers <= 0 || h.num_heads <= 0 || h.num_layers > 4096 || h.num_heads > 4096 ||
          static_cast<int64_t>(h.scores.size()) != cells) {
        return errorf(StatusCode::kInvalidArgument,
                      "report for task %lld attempt %d: %shead_scores holds %zu scores for %d "
                      "layers x %d heads",
                      static_cast<long long>(r.task_id), r.attempt, at.c_str(), h.scores.size(),
                      h.num_layers, h.num_heads);
      }
      for (size_t i = 0; i < c.head_scores->scores.size(); ++i) {
        if (!std::isfinite(c.head_scores->scores[i])) {
          return bad(at + strformat("head_scores[%zu]", i), c.head_scores->scores[i]);
        }
      }
    }
  }
  return Status();
}

}  // namespace

Status Scheduler::end_attempt(const TaskRow& task,
                              const std::string& outcome,
                              const std::string& error,
                              bool retryable) {
  const bool retry = retryable && task.attempts < task.max_attempts;
  const TaskState to = retry ? TaskState::kPending : TaskState::kFailed;
  HKV_RETURN_IF_ERROR(transition(task.state, to));
  HKV_RETURN_IF_ERROR(store_.execute(
      R"sql(UPDATE attempts SET ended_ms = ?, outcome = ?, error = ?
            WHERE task_id = ? AND attempt = ? AND ended_ms IS NULL)sql",
      now_ms_(), outcome, error, task.id, task.attempts));
  std::string last_error = error;
  if (retryable && !retry) {
    last_error = strformat("%s (attempt %d of %d, giving up)", error.c_str(), task.attempts,
                           task.max_attempts);
  }
  // A failed task keeps its last worker for diagnosis; a requeued one is free for anyone.
  HKV_RETURN_IF_ERROR(store_.execute(
      R"sql(UPDATE tasks SET state = ?, last_error = ?, lease_deadline_ms = NULL,
                worker_id = CASE WHEN ? THEN NULL ELSE worker_id END WHERE id = ?)sql",
      task_state_name(to), last_error, static_cast<int64_t>(retry), task.id));
  HKV_RETURN_IF_ERROR(workers_.release(task.worker_id, task.id, false));
  if (!retry) {
    HKV_LOG(kWarning, "scheduler", "task=%lld attempt=%d failed: %s",
            static_cast<long long>(task.id), task.attempts, last_error.c_str());
  }
  return retry ? Status() : refresh_sweep_state(task.sweep_id);
}

Result<bool> Scheduler::is_late_success(const TaskRow& task, const TaskReport& report) {
  if (!report.ok || task.state == TaskState::kCancelled || task.state == TaskState::kSucceeded) {
    return false;
  }
  HKV_ASSIGN_OR_RETURN(
      Statement attempt,
      store_.query("SELECT outcome FROM attempts WHERE task_id = ? AND attempt = ? "
                   "AND worker_id = ?",
                   task.id, report.attempt, report.worker_id));
  HKV_ASSIGN_OR_RETURN(bool found, attempt.step());
  return found && attempt.column_text(0) == "lease_expired";
}

Status Scheduler::record_success(const TaskRow& task, const TaskReport& report, bool late) {
  HKV_ASSIGN_OR_RETURN(
      Statement count,
      store_.query("SELECT COUNT(*) FROM task_configs WHERE task_id = ?", task.id));
  HKV_RETURN_IF_ERROR(count.step());
  const int64_t num_configs = count.column_int64(0);
  std::vector<bool> seen(static_cast<size_t>(num_configs), false);
  for (const ConfigResult& r : report.results) {
    if (r.config_index < 0 || r.config_index >= num_configs || seen[r.config_index]) {
      return errorf(StatusCode::kInvalidArgument,
                    "task %lld attempt %d: result for config_index %d is out of range [0, %lld) "
                    "or repeated",
                    static_cast<long long>(task.id), report.attempt, r.config_index,
                    static_cast<long long>(num_configs));
    }
    seen[r.config_index] = true;
    if (r.head_scores.has_value() != (task.unit.benchmark == jobs::Benchmark::kHeads)) {
      return errorf(StatusCode::kInvalidArgument,
                    "task %lld attempt %d: config %d %s head scores; heads tasks, and only they, "
                    "report them",
                    static_cast<long long>(task.id), report.attempt, r.config_index,
                    r.head_scores ? "carries" : "lacks");
    }
  }
  if (static_cast<int64_t>(report.results.size()) != num_configs) {
    return errorf(StatusCode::kInvalidArgument,
                  "task %lld attempt %d: %zu results for %lld configs; a success needs all",
                  static_cast<long long>(task.id), report.attempt, report.results.size(),
                  static_cast<long long>(num_configs));
  }
  if (late) {
    // The attempt that holds the lease now (if any) is ended: its worker's next heartbeat is
    // told to stop. The task takes the late attempt's results.
    HKV_RETURN_IF_ERROR(store_.execute(
        R"sql(UPDATE attempts SET ended_ms = ?, outcome = 'superseded'
              WHERE task_id = ? AND attempt = ? AND ended_ms IS NULL)sql",
        now_ms_(), task.id, task.attempts));
    HKV_RETURN_IF_ERROR(store_.execute(
        "UPDATE tasks SET state = 'succeeded', worker_id = ?, lease_deadline_ms = NULL, "
        "last_error = NULL WHERE id = ?",
        report.worker_id, task.id));
  } else {
    HKV_RETURN_IF_ERROR(transition(task.state, TaskState::kSucceeded));
  }
  HKV_RETURN_IF_ERROR(store_.execute(
      R"sql(UPDATE attempts SET ended_ms = ?, outcome = 'succeeded', error = NULL,
                prompt_tokens = ?, prefill_ms = ?, references_json = ?
            WHERE task_id = ? AND attempt = ?)sql",
      now_ms_(), report.prompt_tokens, report.prefill_ms, dump_json(Json(report.references)),
      task.id, report.attempt));
  // OR IGNORE with the (task_id, config_index) key: a replayed success never duplicates rows.
  HKV_ASSIGN_OR_RETURN(Statement insert, store_.prepare(R"sql(INSERT OR IGNORE INTO results
      (task_id, attempt, config_index, prediction, score, cache_bytes, cache_entries, decode_ms,
       new_tokens, head_scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql"));
  for (const ConfigResult& r : report.results) {
    std::optional<std::string> heads;
    if (r.head_scores) {
      heads = jobs::head_test_scores_to_json(*r.head_scores);
    }
    HKV_RETURN_IF_ERROR(insert.bind_all(task.id, report.attempt, r.config_index, r.prediction,
                                        r.score, r.cache_bytes, r.cache_entries, r.decode_ms,
                                        r.new_tokens, heads));
    HKV_RETURN_IF_ERROR(insert.run());
  }
  HKV_RETURN_IF_ERROR(store_.execute(
      R"sql(UPDATE tasks SET state = 'succeeded', lease_deadline_ms = NULL, last_error = NULL
            WHERE id = ?)sql",
      task.id));
  HKV_RETURN_IF_ERROR(workers_.release(late ? report.worker_id : task.worker_id, task.id, true));
  return refresh_sweep_state(task.sweep_id);
}

Result<ReportOutcome> Scheduler::report_locked(const TaskReport& report) {
  HKV_RETURN_IF_ERROR(workers_.require(report.worker_id));
  HKV_ASSIGN_OR_RETURN(std::optional<TaskRow> task, load_task(report.task_id));
  if (!task.has_value()) {
    return errorf(StatusCode::kNotFound, "task %lld does not exist",
                  static_cast<long long>(report.task_id));
  }
  if (task->state == TaskState::kSucceeded) {
    return ReportOutcome::kDuplicate;
  }
  if (!is_leased(task->state) || task->worker_id != report.worker_id ||
      task->attempts != report.attempt) {
    // A finished result whose lease expired meanwhile (the coordinator was paused or
    // unreachable) is still a result: record it unless the task is done or cancelled.
    HKV_ASSIGN_OR_RETURN(bool late, is_late_success(*task, report));
    if (late) {
      HKV_LOG(kInfo, "scheduler", "task=%lld attempt=%d: late result from '%s' recorded",
              static_cast<long long>(task->id), report.attempt, report.worker_id.c_str());
      HKV_RETURN_IF_ERROR(record_success(*task, report, /*late=*/true));
      return ReportOutcome::kRecorded;
    }
    return ReportOutcome::kStale;
  }
  if (report.ok) {
    HKV_RETURN_IF_ERROR(record_success(*task, report));
    return ReportOutcome::kRecorded;
  }
  std::string error =
      report.error.empty() ? "worker reported a failure without a message" : report.error;
  HKV_RETURN_IF_ERROR(end_attempt(*task, "failed", error, report.retryable));
  return ReportOutcome::kRecorded;
}

Result<ReportOutcome> Scheduler::report_result(const TaskReport& report) {
  std::promise<Result<ReportOutcome>> promise;
  std::future<Result<ReportOutcome>> future = promise.get_future();
  report_result_async(
      report, [&promise](Result<ReportOutcome> outcome) { promise.set_value(std::move(outcome)); });
  return future.get();
}

void Scheduler::report_result_async(TaskReport report, ReportDone done) {
  Status valid = validate_report_values(report);
  if (!valid.ok()) {
    done(valid);
    return;
  }
  {
    std::lock_guard<std::mutex> queue_lock(queue_mu_);
    if (!stopping_) {
      report_queue_.push_back(QueuedReport{std::move(report), std::move(done)});
      queue_cv_.notify_one();
      return;
    }
  }
  // The scheduler is shutting down: nothing was stored; the worker keeps the result and retries.
  done(errorf(StatusCode::kUnavailable, "the coordinator is shutting down; report task %lld again",
              static_cast<long long>(report.task_id)));
}

void Scheduler::commit_reports() {
  while (true) {
    std::vector<QueuedReport> batch;
    {
      std::unique_lock<std::mutex> queue_lock(queue_mu_);
      queue_cv_.wait(queue_lock, [this] { return stopping_ || !report_queue_.empty(); });
      if (report_queue_.empty()) {
        return;  // stopping, and every queued report was answered
      }
      const size_t n = std::min(report_queue_.size(), kMaxReportBatch);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(report_queue_.front()));
        report_queue_.pop_front();
      }
    }
    std::vector<Result<ReportOutcome>> outcomes(batch.size(), ReportOutcome::kStale);
    Status committed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      committed = store_.transaction([&]() -> Status {
        for (size_t i = 0; i < batch.size(); ++i) {
          HKV_RETURN_IF_ERROR(store_.execute("SAVEPOINT report"));
          outcomes[i] = report_locked(batch[i].report);
          if (!outcomes[i].ok()) {
            HKV_RETURN_IF_ERROR(store_.execute("ROLLBACK TO report"));
          }
          HKV_RETURN_IF_ERROR(store_.execute("RELEASE report"));
        }
        return Status();
      });
    }
    // Answered outside the lock: a callback may finish an RPC or wake a waiting caller.
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(committed.ok() ? std::move(outcomes[i]) : Result<ReportOutcome>(committed));
    }
  }
}

}  // namespace hkv::coordinator
