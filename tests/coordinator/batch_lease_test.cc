// Several tasks per pull (PullTaskRequest.max_tasks): a GPU worker leases a batch of one sweep's
// tasks, heartbeats renew every lease of the batch, and losing any of them is reported.
#include <algorithm>

#include "tests/coordinator/scheduler_fixture.h"

namespace hkv::coordinator {
namespace {

std::vector<TaskAssignment> pull_n(Scheduler& s, const std::string& worker, int32_t n) {
  auto tasks = s.pull_tasks(worker, n);
  EXPECT_TRUE(tasks.ok()) << tasks.status().to_string();
  return tasks.ok() ? *tasks : std::vector<TaskAssignment>();
}

Heartbeat beat_for(const std::string& worker, const std::vector<TaskAssignment>& batch) {
  Heartbeat hb{worker, batch[0].task_id, batch[0].attempt, 10.0, false};
  for (size_t i = 1; i < batch.size(); ++i) {
    hb.other_tasks.emplace_back(batch[i].task_id, batch[i].attempt);
  }
  return hb;
}

int64_t current_task_of(Scheduler& s, const std::string& worker) {
  auto workers = s.list_workers();
  EXPECT_TRUE(workers.ok());
  for (const WorkerStatus& w : *workers) {
    if (w.info.worker_id == worker) {
      return w.current_task_id;
    }
  }
  ADD_FAILURE() << "no worker " << worker;
  return -1;
}

TEST_F(SchedulerTest, OnePullLeasesTheSweepsNextTasksInOrder) {
  int64_t sweep = submit("s", 0, 5);
  int64_t other = submit("other", 0, 3);
  std::string w = add_worker("a");
  std::vector<TaskAssignment> batch = pull_n(*scheduler_, w, 3);
  ASSERT_EQ(batch.size(), 3u);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].sweep_id, sweep);
    EXPECT_EQ(batch[i].attempt, 1);
    EXPECT_EQ(batch[i].configs.size(), 3u);
    EXPECT_EQ(task(sweep, batch[i].task_id).state, TaskState::kAssigned);
    if (i > 0) {
      EXPECT_GT(batch[i].task_id, batch[i - 1].task_id);
    }
  }
  // The sweep has 2 tasks left: a batch never mixes sweeps.
  std::vector<TaskAssignment> rest = pull_n(*scheduler_, w, 8);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].sweep_id, sweep);
  EXPECT_EQ(rest[1].sweep_id, sweep);
  std::vector<TaskAssignment> next = pull_n(*scheduler_, w, 8);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_EQ(next[0].sweep_id, other);
  EXPECT_TRUE(pull_n(*scheduler_, w, 8).empty());
  EXPECT_EQ(progress(sweep).running, 5);
}

TEST_F(SchedulerTest, BatchesAreFixedBlocksWhoeverPullsThem) {
  int64_t sweep = submit("s", 0, 10);
  std::string a = add_worker("a"), b = add_worker("b");
  auto ids = [](const std::vector<TaskAssignment>& batch) {
    std::vector<int64_t> out;
    for (const TaskAssignment& t : batch) {
      out.push_back(t.task_id);
    }
    return out;
  };
  auto first = pull(a);  // one task alone: task 1
  ASSERT_TRUE(first.has_value());
  int64_t t1 = first->task_id;
  // The next pull starts at task 2 but stops at its block's end (tasks 1-4), whoever pulls.
  EXPECT_EQ(ids(pull_n(*scheduler_, b, 4)), (std::vector<int64_t>{t1 + 1, t1 + 2, t1 + 3}));
  EXPECT_EQ(ids(pull_n(*scheduler_, a, 4)), (std::vector<int64_t>{t1 + 4, t1 + 5, t1 + 6, t1 + 7}));
  EXPECT_EQ(ids(pull_n(*scheduler_, b, 4)), (std::vector<int64_t>{t1 + 8, t1 + 9}));
  EXPECT_EQ(progress(sweep).pending, 0);
}

TEST_F(SchedulerTest, MaxTasksOutOfRangeIsRejected) {
  submit("s", 0, 2);
  std::string w = add_worker("a");
  EXPECT_EQ(scheduler_->pull_tasks(w, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_->pull_tasks(w, kMaxTasksPerPull + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_->pull_tasks("ghost", 2).status().code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, HeartbeatsRenewEveryLeaseOfTheBatch) {
  int64_t sweep = submit("s", 0, 3);
  std::string w = add_worker("a");
  std::vector<TaskAssignment> batch = pull_n(*scheduler_, w, 3);
  ASSERT_EQ(batch.size(), 3u);
  now_ += 4000;
  auto reply = scheduler_->heartbeat(beat_for(w, batch));
  ASSERT_TRUE(reply.ok()) << reply.status().to_string();
  EXPECT_FALSE(reply->cancel_current_task);
  EXPECT_TRUE(reply->cancel_task_ids.empty());
  now_ += 4000;  // 8 s after the pull: every lease was renewed
  EXPECT_EQ(*scheduler_->expire_leases(), 0);
  for (const TaskAssignment& a : batch) {
    EXPECT_EQ(task(sweep, a.task_id).state, TaskState::kRunning);
  }
  // A batch whose heartbeat names only its first task loses the others.
  now_ += 900;
  ASSERT_TRUE(scheduler_->heartbeat({w, batch[0].task_id, batch[0].attempt, 0, false}).ok());
  now_ += 4200;
  EXPECT_EQ(*scheduler_->expire_leases(), 2);
  EXPECT_EQ(task(sweep, batch[0].task_id).state, TaskState::kRunning);
  EXPECT_EQ(task(sweep, batch[1].task_id).state, TaskState::kPending);
  // The worker learns it at its next heartbeat.
  reply = scheduler_->heartbeat(beat_for(w, batch));
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->cancel_current_task);
  EXPECT_EQ(reply->cancel_task_ids, (std::vector<int64_t>{batch[1].task_id, batch[2].task_id}));
}

TEST_F(SchedulerTest, CancellingTheSweepCancelsTheWholeBatch) {
  int64_t sweep = submit("s", 0, 4);
  std::string w = add_worker("a");
  std::vector<TaskAssignment> batch = pull_n(*scheduler_, w, 4);
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(*scheduler_->cancel_sweep(sweep), 4);
  auto reply = scheduler_->heartbeat(beat_for(w, batch));
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->cancel_current_task);
  EXPECT_EQ(reply->cancel_task_ids.size(), 3u);
  for (const TaskAssignment& a : batch) {
    EXPECT_EQ(report(success(a, w)), ReportOutcome::kStale);
  }
}

TEST_F(SchedulerTest, WorkerStaysBusyUntilItsLastBatchTaskIsReported) {
  int64_t sweep = submit("s", 0, 3);
  std::string w = add_worker("a");
  std::vector<TaskAssignment> batch = pull_n(*scheduler_, w, 3);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(current_task_of(*scheduler_, w), batch[0].task_id);
  EXPECT_EQ(report(success(batch[0], w)), ReportOutcome::kRecorded);
  EXPECT_EQ(current_task_of(*scheduler_, w), batch[1].task_id);
  EXPECT_EQ(report(failure(batch[1], w, "boom", true)), ReportOutcome::kRecorded);
  EXPECT_EQ(current_task_of(*scheduler_, w), batch[2].task_id);
  EXPECT_EQ(report(success(batch[2], w)), ReportOutcome::kRecorded);
  EXPECT_EQ(current_task_of(*scheduler_, w), 0);
  SweepProgress p = progress(sweep);
  EXPECT_EQ(p.succeeded, 2);
  EXPECT_EQ(p.pending, 1);  // the retryable failure went back to the queue
  auto workers = scheduler_->list_workers();
  ASSERT_TRUE(workers.ok());
  EXPECT_EQ(workers->at(0).state, "idle");
  EXPECT_EQ(workers->at(0).prefills, 2);
  // Result rows carry their attempt's prompt size and prefill time.
  auto rows = scheduler_->results(sweep);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 6u);
  for (const ResultRow& r : *rows) {
    EXPECT_EQ(r.prompt_tokens, 1000);
    EXPECT_EQ(r.prefill_ms, 12.5);
    EXPECT_EQ(r.result.new_tokens, 7);
  }
}

}  // namespace
}  // namespace hkv::coordinator
