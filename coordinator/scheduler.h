// The sweep scheduler: plain C++ over the SQLite store, no gRPC. A task is one (benchmark, dataset,
// sample) carrying every config of its sweep, so a worker prefills the sample once and decodes all
// configs in one batch. Every operation is one transaction under one lock; all state is in the
// store, so a new Scheduler on the same file continues where the last one stopped. Reports go
// through a committer thread: those that arrive together share one transaction and one disk sync
// (group commit, scheduler_reports.cc), and no RPC thread waits for the disk.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "coordinator/store.h"
#include "coordinator/task_state.h"
#include "coordinator/worker_registry.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_spec.h"

namespace hkv::coordinator {

// Liveness parameters (Ray's health-check shape). A worker heartbeats every heartbeat_period_ms; a
// task whose lease is not renewed within lease_timeout_ms goes back to pending.
// The most tasks one pull may lease (PullTaskRequest.max_tasks).
inline constexpr int32_t kMaxTasksPerPull = 64;

struct SchedulerOptions {
  int64_t heartbeat_period_ms = 10'000;
  int64_t lease_timeout_ms = 60'000;
  int32_t max_attempts = 3;  // per task, counting the first; lease expiries count too

  Status validate() const;
};

// Milliseconds since the Unix epoch (wall clock: leases are stored and outlive the process).
int64_t system_now_ms();

enum class SweepState { kRunning, kSucceeded, kFailed, kCancelled };
const char* sweep_state_name(SweepState state);

struct SubmitResult {
  int64_t sweep_id = 0;
  int64_t num_tasks = 0;
  int64_t num_configs = 0;
};

struct Heartbeat {
  std::string worker_id;
  int64_t task_id = 0;  // 0 when idle
  int32_t attempt = 0;
  double tokens_per_second = 0.0;
  bool draining = false;
  double busy_fraction = 0.0;     // [0, 1]: share of the last period spent running tasks
  int64_t memory_used_bytes = 0;  // the worker's device memory in use (>= 0)
  // [0, 1]: share of the last period the worker's GPU ran kernels; nullopt when not measured.
  std::optional<double> gpu_busy_fraction;
  // The other tasks of a batch the worker holds: (task id, attempt), renewed like task_id.
  std::vector<std::pair<int64_t, int32_t>> other_tasks;
};

struct HeartbeatReply {
  // The named task is no longer this worker's (cancelled, lease expired, reassigned): stop it.
  bool cancel_current_task = false;
  // Those of other_tasks that are no longer this worker's.
  std::vector<int64_t> cancel_task_ids;
};

struct TaskAssignment {
  int64_t task_id = 0;
  int32_t attempt = 0;  // 1-based
  int64_t sweep_id = 0;
  std::string model;
  std::string dtype;
  int32_t max_new_tokens = 0;  // 0 = the dataset's own
  jobs::WorkUnit unit;
  std::vector<jobs::CompressionConfig> configs;  // index = config_index in reports
  int64_t lease_deadline_ms = 0;
};

struct ConfigResult {
  int32_t config_index = 0;
  std::string prediction;
  double score = 0.0;
  int64_t cache_bytes = 0;
  int64_t cache_entries = 0;
  double decode_ms = 0.0;
  int32_t new_tokens = 0;
  std::optional<jobs::HeadTestScores> head_scores;  // heads units (required there); else unset
};

struct TaskReport {
  std::string worker_id;
  int64_t task_id = 0;
  int32_t attempt = 0;
  bool ok = false;
  std::string error;       // when !ok
  bool retryable = false;  // false: deterministic failure, fail the task now
  int64_t prompt_tokens = 0;
  double prefill_ms = 0.0;
  std::vector<ConfigResult> results;    // when ok: one per config of the task
  std::vector<std::string> references;  // the sample's reference answers (when ok)
};

enum class ReportOutcome {
  kRecorded,   // the report changed the task
  kDuplicate,  // the task already succeeded: nothing stored again
  kStale,      // from an attempt or worker that no longer holds the task: ignored
};

struct SweepProgress {
  int64_t sweep_id = 0;
  std::string name;
  std::string model;  // as submitted
  SweepState state = SweepState::kRunning;
  int32_t priority = 0;
  int64_t total = 0;
  int64_t pending = 0;
  int64_t running = 0;  // assigned or running
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t cancelled = 0;
  int64_t prefills = 0;            // successful attempts: one prefill each
  double mean_attempt_ms = 0.0;    // over successful attempts, for ETA estimates
  int64_t needs_memory_bytes = 0;  // what a worker must hold for it; 0: unknown (any worker)
  std::string waiting;  // why pending tasks wait: no live worker holds needs_memory_bytes
};

struct ResultRow {
  int64_t task_id = 0;
  jobs::WorkUnit unit;
  int32_t attempt = 0;
  jobs::CompressionConfig config;
  ConfigResult result;
  int64_t prompt_tokens = 0;            // the attempt's report: the sample's prompt
  double prefill_ms = 0.0;              // and its prefill, shared by the task's configs
  std::vector<std::string> references;  // the sample's reference answers
};

struct AttemptOutcomeCount {
  std::string outcome;  // attempts.outcome
  std::string error;    // "" when none was recorded
  int64_t count = 0;
};

struct TaskSummary {
  int64_t task_id = 0;
  jobs::WorkUnit unit;
  TaskState state = TaskState::kPending;
  int32_t attempts = 0;
  std::string last_error;
  std::string worker_id;
};

class Scheduler {
 public:
  using Clock = std::function<int64_t()>;

  // Opens (or creates) the store at `db_path`. Tasks that were leased when a previous coordinator
  // stopped keep their leases and expire normally.
  static Result<std::unique_ptr<Scheduler>> open(const std::string& db_path,
                                                 const SchedulerOptions& options,
                                                 Clock now_ms = system_now_ms);
  // Over an open store; `options` must be valid (open() checks them). Starts the committer.
  Scheduler(Store store, const SchedulerOptions& options, Clock now_ms);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  // Commits the reports still queued, then stops the committer.
  ~Scheduler();

  // Parses, validates and expands a sweep file; stores the sweep and one pending task per work
  // unit, each with all configs. InvalidArgument (naming the field) for a malformed spec.
  // `request_id` (may be empty): a submit with the id of an earlier committed one returns that
  // sweep (same text) or fails with FailedPrecondition (another text); no second sweep is made.
  Result<SubmitResult> submit_sweep(std::string_view spec_text,
                                    std::string_view source,
                                    std::string_view request_id = "");
  // Cancels the sweep's unfinished tasks; returns how many. Workers learn it from heartbeats.
  Result<int64_t> cancel_sweep(int64_t sweep_id);

  Result<std::string> register_worker(const WorkerInfo& info);
  // Records liveness and renews the lease of each named task the worker still holds.
  Result<HeartbeatReply> heartbeat(const Heartbeat& beat);
  // The next pending task (highest sweep priority, then oldest sweep, then task order) leased to
  // `worker_id`, or nullopt when there is none. Expires overdue leases first.
  Result<std::optional<TaskAssignment>> pull_task(const std::string& worker_id);
  // Up to `max_tasks` (>= 1) tasks in one lease: the next pending task as pull_task picks it, then
  // the other pending tasks of the same sweep in its block (task ids cut into runs of max_tasks),
  // in task order. Empty when none is pending.
  Result<std::vector<TaskAssignment>> pull_tasks(const std::string& worker_id, int32_t max_tasks);
  // Idempotent: duplicates and stale reports are accepted and ignored (see ReportOutcome).
  // A success stores every config's result; a retryable failure requeues until max_attempts, a
  // non-retryable one fails the task at once. InvalidArgument for an inconsistent result set.
  // Returns once the outcome is on disk (report_result_async, waited for).
  Result<ReportOutcome> report_result(const TaskReport& report);
  // Queues the report for the committer thread, which commits queued reports in batches of up to
  // kMaxReportBatch, each in its own savepoint (one report's error never undoes another), and
  // calls `done` on that thread once the batch is on disk. An invalid report (non-finite values)
  // is answered at once, on the caller's thread.
  using ReportDone = std::function<void(Result<ReportOutcome>)>;
  void report_result_async(TaskReport report, ReportDone done);
  static constexpr size_t kMaxReportBatch = 64;
  // Requeues (or fails, when attempts are exhausted) every task whose lease passed. Returns the
  // number of leases expired.
  Result<int64_t> expire_leases();

  Result<SweepProgress> sweep_progress(int64_t sweep_id);
  Result<std::vector<SweepProgress>> list_sweeps();
  Result<std::vector<WorkerStatus>> list_workers();
  // Attempts that ended other than in success (failed, lease_expired, cancelled, superseded), per
  // (outcome, error text), over every sweep: retries and failures by cause for /metrics.
  Result<std::vector<AttemptOutcomeCount>> attempt_outcomes();
  // The sweep's failed tasks (unit, last error, attempts), in task order.
  Result<std::vector<TaskSummary>> failed_tasks(int64_t sweep_id);
  Result<std::vector<TaskSummary>> list_tasks(int64_t sweep_id);
  // One page of tasks with id > after_task_id, about `page_bytes` of messages at most (whole
  // tasks, at least one); `next` is the last task id of the page, 0 when no task follows.
  Result<std::vector<TaskSummary>> list_tasks_page(int64_t sweep_id,
                                                   int64_t after_task_id,
                                                   int64_t page_bytes,
                                                   int64_t* next);
  // Stored results of a sweep, by task then config index.
  Result<std::vector<ResultRow>> results(int64_t sweep_id);
  // As list_tasks_page, for result rows (all of a task's configs on the same page).
  Result<std::vector<ResultRow>> results_page(int64_t sweep_id,
                                              int64_t after_task_id,
                                              int64_t page_bytes,
                                              int64_t* next);

  const SchedulerOptions& options() const { return options_; }

 private:
  struct TaskRow {
    int64_t id = 0;
    int64_t sweep_id = 0;
    TaskState state = TaskState::kPending;
    int32_t attempts = 0;
    int32_t max_attempts = 1;
    std::string worker_id;
    jobs::WorkUnit unit;
  };

  struct QueuedReport {
    TaskReport report;
    ReportDone done;
  };

  Result<std::optional<TaskRow>> load_task(int64_t task_id);
  Status end_attempt(const TaskRow& task,
                     const std::string& outcome,
                     const std::string& error,
                     bool retryable);
  // `late`: the report's lease had expired (is_late_success); the task may be in any state but
  // succeeded or cancelled.
  Status record_success(const TaskRow& task, const TaskReport& report, bool late = false);
  // One report's changes inside the open transaction (the body of report_result).
  Result<ReportOutcome> report_locked(const TaskReport& report);
  // The committer thread's loop: batches until stopping_ and the queue is empty.
  void commit_reports();
  Result<bool> is_late_success(const TaskRow& task, const TaskReport& report);
  Status refresh_sweep_state(int64_t sweep_id);
  Result<int64_t> expire_leases_locked();
  // The first pending task of the highest-priority running sweep that `worker_id` can hold.
  Result<std::optional<int64_t>> next_pending_task(const std::string& worker_id);
  Result<TaskAssignment> lease_task(const TaskRow& task, const std::string& worker_id);
  // Renews one task's lease if `worker_id` holds its `attempt`; false when it does not.
  Result<bool> renew_lease(int64_t task_id,
                           int32_t attempt,
                           const std::string& worker_id,
                           int64_t now);
  Result<SweepProgress> progress_locked(int64_t sweep_id);

  std::mutex mu_;        // serialises all operations on the one connection
  std::mutex queue_mu_;  // guards the report queue and stopping_; never held with mu_
  std::condition_variable queue_cv_;
  std::deque<QueuedReport> report_queue_;  // reports not yet taken into a batch
  bool stopping_ = false;
  Store store_;
  WorkerRegistry workers_;
  SchedulerOptions options_;
  Clock now_ms_;
  std::thread committer_;  // last: starts once every other member exists
};

}  // namespace hkv::coordinator
