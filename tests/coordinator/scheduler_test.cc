// Scheduler over a temp SQLite file with a fake clock: submission, leasing, heartbeats, lease
// expiry, bounded retries with reasons, idempotent and stale reports, deterministic failures,
// priority order, cancellation, and a restart mid-sweep on the same file.
#include "coordinator/scheduler.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "common/strings.h"
#include "tests/coordinator/scheduler_fixture.h"
#include "tests/testing/temp_dir.h"

namespace hkv::coordinator {
namespace {

TEST_F(SchedulerTest, SubmitCreatesOneTaskPerSampleCarryingAllConfigs) {
  auto r = scheduler_->submit_sweep(sweep_yaml("s", 0, 3), "s.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->num_tasks, 3);
  EXPECT_EQ(r->num_configs, 3);
  SweepProgress p = progress(r->sweep_id);
  EXPECT_EQ(p.name, "s");
  EXPECT_EQ(p.state, SweepState::kRunning);
  EXPECT_EQ(p.total, 3);
  EXPECT_EQ(p.pending, 3);

  std::string w = add_worker("host-a");
  EXPECT_EQ(w, "host-a/cuda:0");
  auto a = pull(w);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->attempt, 1);
  EXPECT_EQ(a->sweep_id, r->sweep_id);
  EXPECT_EQ(a->model, "/models/tiny.gguf");
  EXPECT_EQ(a->dtype, "");  // no dtype in the sweep: each worker's own --dtype
  EXPECT_EQ(a->unit, (jobs::WorkUnit{jobs::Benchmark::kLongBench, "qasper", "0"}));
  ASSERT_EQ(a->configs.size(), 3u);
  EXPECT_STREQ(compression::method_name(a->configs[0].method), "FullKV");
  EXPECT_EQ(a->configs[2].budget, 128);
  EXPECT_EQ(a->lease_deadline_ms, now_ + options_.lease_timeout_ms);
}

TEST_F(SchedulerTest, MalformedSpecIsRejectedAndNothingIsStored) {
  auto r = scheduler_->submit_sweep("name: x\nmodel: m\nbenchmarks: []\nmethods: []\n", "x.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("x.yaml: benchmarks"), std::string::npos);
  r = scheduler_->submit_sweep(
      "name: x\nmodel: m\nbenchmarks: [{benchmark: needle, lengths: [100]}]\n"
      "methods: [{method: HeadKV-R, budgets: [64], betas: [0.5]}]\n",
      "x.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("methods[0].betas[0]: beta 0.5 must be >= 1"),
            std::string::npos);
  EXPECT_TRUE(scheduler_->list_sweeps()->empty());
}

TEST_F(SchedulerTest, UnknownWorkersAndTasksAreNotFound) {
  submit("s");
  EXPECT_EQ(scheduler_->pull_task("ghost").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(scheduler_->heartbeat({"ghost", 0, 0, 0.0, false}).status().code(),
            StatusCode::kNotFound);
  std::string w = add_worker("a");
  EXPECT_EQ(scheduler_->report_result({w, 999, 1, true, "", false, 0, 0.0, {}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(scheduler_->sweep_progress(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(scheduler_->cancel_sweep(999).status().code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, SweepRunsToCompletionWithResultsAndPrefills) {
  int64_t sweep = submit("s");
  std::string w = add_worker("a");
  for (int i = 0; i < 3; ++i) {
    auto a = pull(w);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->unit.sample_key, std::to_string(i));  // task order = expansion order
    now_ += 100;
    EXPECT_EQ(report(success(*a, w)), ReportOutcome::kRecorded);
  }
  EXPECT_FALSE(pull(w).has_value());
  SweepProgress p = progress(sweep);
  EXPECT_EQ(p.state, SweepState::kSucceeded);
  EXPECT_EQ(p.succeeded, 3);
  EXPECT_EQ(p.prefills, 3);
  EXPECT_DOUBLE_EQ(p.mean_attempt_ms, 100.0);
  auto rows = scheduler_->results(sweep);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 9u);
  EXPECT_EQ((*rows)[4].unit.sample_key, "1");
  EXPECT_EQ((*rows)[4].result.config_index, 1);
  EXPECT_STREQ(compression::method_name((*rows)[4].config.method), "SnapKV");
  EXPECT_EQ((*rows)[4].result.prediction, "answer 1");
  auto workers = scheduler_->list_workers();
  ASSERT_TRUE(workers.ok());
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].prefills, 3);
  EXPECT_EQ((*workers)[0].state, "idle");
}

TEST_F(SchedulerTest, HeartbeatsConfirmTheTaskAndRenewItsLease) {
  int64_t sweep = submit("s", 0, 1);
  std::string w = add_worker("a");
  auto a = pull(w);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(task(sweep, a->task_id).state, TaskState::kAssigned);
  now_ += 4000;
  auto reply = scheduler_->heartbeat({w, a->task_id, a->attempt, 50.0, false});
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->cancel_current_task);
  EXPECT_EQ(task(sweep, a->task_id).state, TaskState::kRunning);
  now_ += 4000;  // 8 s after the pull, 4 s after the heartbeat: still leased
  EXPECT_EQ(*scheduler_->expire_leases(), 0);
  now_ += 1001;  // past the renewed deadline
  EXPECT_EQ(*scheduler_->expire_leases(), 1);
  TaskSummary t = task(sweep, a->task_id);
  EXPECT_EQ(t.state, TaskState::kPending);
  EXPECT_NE(t.last_error.find("lease expired"), std::string::npos) << t.last_error;
  EXPECT_EQ(attempt_log(a->task_id),
            std::vector<std::string>{"lease_expired: lease expired: no heartbeat from worker "
                                     "'a/cuda:0' for 5000 ms"});
}

TEST_F(SchedulerTest, ExpiredLeaseGoesToAnotherWorkerAndTheLateResultIsKept) {
  int64_t sweep = submit("s", 0, 1);
  std::string w1 = add_worker("a");
  std::string w2 = add_worker("b");
  auto first = pull(w1);
  ASSERT_TRUE(first.has_value());
  now_ += options_.lease_timeout_ms + 1;  // w1 stalls
  auto second = pull(w2);                 // expiry runs inside the pull
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->task_id, first->task_id);
  EXPECT_EQ(second->attempt, 2);
  // The stalled worker wakes up: its heartbeat is told to stop (the task is w2's now), but the
  // result it had finished is a result: recorded, and w2's attempt is superseded.
  auto reply = scheduler_->heartbeat({w1, first->task_id, first->attempt, 0.0, false});
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->cancel_current_task);
  EXPECT_EQ(report(success(*first, w1)), ReportOutcome::kRecorded);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 3u);
  EXPECT_EQ((*scheduler_->results(sweep))[0].attempt, 1);
  reply = scheduler_->heartbeat({w2, second->task_id, second->attempt, 0.0, false});
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->cancel_current_task);
  EXPECT_EQ(report(success(*second, w2)), ReportOutcome::kDuplicate);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 3u);
  EXPECT_EQ(progress(sweep).succeeded, 1);
  auto workers = scheduler_->list_workers();
  ASSERT_TRUE(workers.ok());
  EXPECT_EQ((*workers)[0].info.worker_id, "a/cuda:0");
  EXPECT_EQ((*workers)[0].state, "idle");  // heartbeat just now: alive again
  now_ += options_.lease_timeout_ms + 1;
  EXPECT_EQ((*scheduler_->list_workers())[0].state, "lost");
}

TEST_F(SchedulerTest, RetriesAreBoundedAndRecordEveryReason) {
  int64_t sweep = submit("s", 0, 1);
  std::string w = add_worker("a");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto a = pull(w);
    ASSERT_TRUE(a.has_value()) << attempt;
    EXPECT_EQ(a->attempt, attempt);
    EXPECT_EQ(report(failure(*a, w, "CUDA OOM #" + std::to_string(attempt), true)),
              ReportOutcome::kRecorded);
  }
  EXPECT_FALSE(pull(w).has_value());
  TaskSummary t = task(sweep, 1);
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_EQ(t.attempts, 3);
  EXPECT_EQ(t.last_error, "CUDA OOM #3 (attempt 3 of 3, giving up)");
  EXPECT_EQ(attempt_log(1), (std::vector<std::string>{"failed: CUDA OOM #1", "failed: CUDA OOM #2",
                                                      "failed: CUDA OOM #3"}));
  EXPECT_EQ(progress(sweep).state, SweepState::kFailed);
}

TEST_F(SchedulerTest, LeaseExpiriesCountAgainstTheAttemptLimit) {
  int64_t sweep = submit("s", 0, 1);
  std::string w = add_worker("a");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(pull(w).has_value());
    now_ += options_.lease_timeout_ms + 1;
  }
  EXPECT_EQ(*scheduler_->expire_leases(), 1);
  TaskSummary t = task(sweep, 1);
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_NE(t.last_error.find("lease expired"), std::string::npos);
  EXPECT_NE(t.last_error.find("attempt 3 of 3"), std::string::npos);
}

TEST_F(SchedulerTest, DeterministicFailureFailsTheSampleAndTheSweepGoesOn) {
  int64_t sweep = submit("s", 0, 3);
  std::string w = add_worker("a");
  for (int i = 0; i < 3; ++i) {
    auto a = pull(w);
    ASSERT_TRUE(a.has_value());
    if (a->unit.sample_key == "1") {
      report(failure(*a, w, "prompt of 9000 tokens exceeds the model's 8192", false));
    } else {
      report(success(*a, w));
    }
  }
  SweepProgress p = progress(sweep);
  EXPECT_EQ(p.succeeded, 2);
  EXPECT_EQ(p.failed, 1);
  EXPECT_EQ(p.state, SweepState::kFailed);  // finished, with a failed task
  TaskSummary t = task(sweep, 2);
  EXPECT_EQ(t.attempts, 1);  // not retried
  EXPECT_EQ(t.last_error, "prompt of 9000 tokens exceeds the model's 8192");
  EXPECT_EQ(scheduler_->results(sweep)->size(), 6u);
}

TEST_F(SchedulerTest, ReportsAreIdempotent) {
  int64_t sweep = submit("s", 0, 1);
  std::string w = add_worker("a");
  auto a = pull(w);
  ASSERT_TRUE(a.has_value());
  TaskReport partial = success(*a, w);
  partial.results.pop_back();
  auto rejected = scheduler_->report_result(partial);
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  TaskReport repeated = success(*a, w);
  repeated.results[2].config_index = 0;
  EXPECT_EQ(scheduler_->report_result(repeated).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(scheduler_->results(sweep)->empty());  // rolled back
  EXPECT_EQ(report(success(*a, w)), ReportOutcome::kRecorded);
  EXPECT_EQ(report(success(*a, w)), ReportOutcome::kDuplicate);  // replayed RPC
  EXPECT_EQ(report(failure(*a, w, "late", true)), ReportOutcome::kDuplicate);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 3u);
  EXPECT_EQ(progress(sweep).prefills, 1);
  EXPECT_EQ(task(sweep, a->task_id).state, TaskState::kSucceeded);
}

TEST_F(SchedulerTest, ReportsFromAnotherWorkerOrAttemptAreStale) {
  submit("s", 0, 1);
  std::string w1 = add_worker("a");
  std::string w2 = add_worker("b");
  auto a = pull(w1);
  ASSERT_TRUE(a.has_value());
  TaskReport wrong_worker = success(*a, w2);
  EXPECT_EQ(report(wrong_worker), ReportOutcome::kStale);
  TaskReport wrong_attempt = success(*a, w1);
  wrong_attempt.attempt = 7;
  EXPECT_EQ(report(wrong_attempt), ReportOutcome::kStale);
  EXPECT_EQ(report(success(*a, w1)), ReportOutcome::kRecorded);
}

TEST_F(SchedulerTest, HigherPriorityFirstThenOldestSweep) {
  int64_t low = submit("low", 0, 1);
  now_ += 10;
  int64_t high = submit("high", 5, 2);
  now_ += 10;
  int64_t high_later = submit("high-later", 5, 1);
  std::string w = add_worker("a");
  std::vector<int64_t> order;
  while (auto a = pull(w)) {
    order.push_back(a->sweep_id);
    report(success(*a, w));
  }
  EXPECT_EQ(order, (std::vector<int64_t>{high, high, high_later, low}));
}

TEST_F(SchedulerTest, CancellationStopsPendingAndLeasedTasks) {
  int64_t sweep = submit("s", 0, 3);
  int64_t other = submit("other", 0, 1);
  std::string w = add_worker("a");
  auto a = pull(w);
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->sweep_id, sweep);
  auto cancelled = scheduler_->cancel_sweep(sweep);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().to_string();
  EXPECT_EQ(*cancelled, 3);
  SweepProgress p = progress(sweep);
  EXPECT_EQ(p.state, SweepState::kCancelled);
  EXPECT_EQ(p.cancelled, 3);
  EXPECT_TRUE(scheduler_->heartbeat({w, a->task_id, a->attempt, 0, false})->cancel_current_task);
  EXPECT_EQ(report(success(*a, w)), ReportOutcome::kStale);
  EXPECT_EQ(*scheduler_->cancel_sweep(sweep), 0);  // idempotent
  auto next = pull(w);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->sweep_id, other);  // other sweeps go on
  EXPECT_EQ(attempt_log(a->task_id), std::vector<std::string>{"cancelled: "});
}

TEST_F(SchedulerTest, RestartOnTheSameFileMidSweepLosesNothing) {
  int64_t sweep = submit("s", 0, 3);
  std::string w = add_worker("a");
  auto done = pull(w);
  ASSERT_TRUE(done.has_value());
  report(success(*done, w));
  auto leased = pull(w);  // in flight when the coordinator stops
  ASSERT_TRUE(leased.has_value());

  scheduler_.reset();
  now_ += 1000;
  scheduler_ = open();

  SweepProgress p = progress(sweep);
  EXPECT_EQ(p.succeeded, 1);
  EXPECT_EQ(p.running, 1);
  EXPECT_EQ(p.pending, 1);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 3u);
  ASSERT_EQ(scheduler_->list_workers()->size(), 1u);
  // The worker carries on: its lease survived the restart.
  EXPECT_FALSE(
      scheduler_->heartbeat({w, leased->task_id, leased->attempt, 0, false})->cancel_current_task);
  auto next = pull(w);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->unit.sample_key, "2");
  EXPECT_EQ(report(success(*leased, w)), ReportOutcome::kRecorded);
  // The last one is abandoned and expires normally after the restart.
  now_ += options_.lease_timeout_ms + 1;
  EXPECT_EQ(*scheduler_->expire_leases(), 1);
  auto retry = pull(w);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->task_id, next->task_id);
  EXPECT_EQ(retry->attempt, 2);
  report(success(*retry, w));
  p = progress(sweep);
  EXPECT_EQ(p.state, SweepState::kSucceeded);
  EXPECT_EQ(p.succeeded, 3);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 9u);
}

TEST_F(SchedulerTest, DrainingWorkersGetNoNewTasks) {
  submit("s", 0, 1);
  std::string w = add_worker("a");
  ASSERT_TRUE(scheduler_->heartbeat({w, 0, 0, 0.0, true}).ok());
  EXPECT_FALSE(pull(w).has_value());
  EXPECT_EQ((*scheduler_->list_workers())[0].state, "draining");
  ASSERT_TRUE(scheduler_->heartbeat({w, 0, 0, 0.0, false}).ok());
  EXPECT_TRUE(pull(w).has_value());
  EXPECT_EQ((*scheduler_->list_workers())[0].state, "busy");
}

TEST_F(SchedulerTest, ConcurrentPullsNeverShareATask) {
  submit("s", 0, 40);
  std::vector<std::string> workers;
  for (int i = 0; i < 4; ++i) {
    workers.push_back(add_worker("host" + std::to_string(i)));
  }
  std::vector<std::vector<int64_t>> taken(workers.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] {
      while (true) {
        auto a = scheduler_->pull_task(workers[i]);
        if (!a.ok() || !a->has_value()) {
          return;
        }
        taken[i].push_back((*a)->task_id);
        (void)scheduler_->report_result(success(**a, workers[i]));
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  std::set<int64_t> all;
  size_t total = 0;
  for (const auto& ids : taken) {
    all.insert(ids.begin(), ids.end());
    total += ids.size();
  }
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(all.size(), 40u);
}

TEST_F(SchedulerTest, PaperSweepIsStoredInOneSubmission) {
  auto text = read_file_to_string(std::string(HKV_SOURCE_DIR) + "/examples/llama3_8b_paper.yaml");
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  auto r = scheduler_->submit_sweep(*text, "llama3_8b_paper.yaml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->num_tasks, 1550);  // 1150 LongBench v1 + 4 x 100 LooGLE samples
  EXPECT_EQ(r->num_configs, 96);
  auto a = pull(add_worker("a"));
  ASSERT_TRUE(a.has_value());
  ASSERT_EQ(a->configs.size(), 96u);  // the whole grid rides on one prefill
  EXPECT_STREQ(compression::method_name(a->configs.back().method), "HeadKV-R2");
  EXPECT_EQ(a->configs.back().beta, 10.0);
}

TEST(SchedulerOptionsTest, InvalidOptionsAreRejected) {
  hkv::testing::TempDir dir;
  EXPECT_FALSE(Scheduler::open(dir.path() + "/c.db", {1000, 1000, 3}).ok());
  EXPECT_FALSE(Scheduler::open(dir.path() + "/c.db", {1000, 5000, 0}).ok());
  EXPECT_TRUE(Scheduler::open(dir.path() + "/c.db", {1000, 5000, 1}).ok());
}

}  // namespace
}  // namespace hkv::coordinator
