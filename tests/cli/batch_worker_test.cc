// A worker that leases several tasks per pull (WorkerOptions.batch_tasks) against a real
// coordinator on 127.0.0.1: the executor gets the sweep's tasks in batches, every result is
// recorded, heartbeats keep every lease of a running batch alive, and a cancel stops the batch.
// With prepare_ahead the next lease is taken and prepared while the current one runs, and its
// tasks are dropped unrun when the coordinator takes them back first.
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "coordinator/server.h"
#include "tests/testing/temp_dir.h"
#include "worker/worker_loop.h"

namespace hkv::worker {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kSweep[] = R"(name: b
model: /models/tiny.gguf
benchmarks:
  - {benchmark: longbench, datasets: [qasper], limit: 6}
methods:
  - {method: FullKV}
  - {method: SnapKV, budgets: [64]}
)";

class BatchWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    coordinator::ServerOptions so;
    so.db_path = dir_.path() + "/c.db";
    so.token = "t";
    // Leases shorter than a batch's run: only heartbeats naming every task keep them.
    so.scheduler = {/*heartbeat_period_ms=*/200, /*lease_timeout_ms=*/1500, 3};
    auto server = coordinator::CoordinatorServer::start(so);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(server).value();
    auto sweep = server_->scheduler()->submit_sweep(kSweep, "b.yaml");
    ASSERT_TRUE(sweep.ok()) << sweep.status().to_string();
    sweep_ = sweep->sweep_id;
    wo_.client = {"127.0.0.1:" + std::to_string(server_->port()), "t", ""};
    wo_.info.set_hostname("test");
    wo_.info.set_device("cuda:0");
    wo_.info.set_instance_id("batch-test");
    wo_.exit_when_idle = true;
    wo_.spool_dir = dir_.path() + "/spool";
    wo_.batch_tasks = 4;
  }

  coordinator::SweepProgress progress() {
    auto p = server_->scheduler()->sweep_progress(sweep_);
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : coordinator::SweepProgress();
  }

  hkv::testing::TempDir dir_;
  std::unique_ptr<coordinator::CoordinatorServer> server_;
  int64_t sweep_ = 0;
  WorkerOptions wo_;
};

// An executor that records each batch's task ids and fills every config's result.
BatchExecutor recording_executor(std::mutex& mu,
                                 std::vector<std::vector<int64_t>>& batches,
                                 std::atomic<int>& finished,
                                 int sleep_ms) {
  return [&mu, &batches, &finished, sleep_ms](const std::vector<v1::Task>& tasks,
                                              const std::atomic<bool>&,
                                              std::vector<v1::ReportResultRequest>* reports) {
    {
      std::lock_guard<std::mutex> lock(mu);
      batches.emplace_back();
      for (const v1::Task& t : tasks) {
        batches.back().push_back(t.task_id());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    reports->resize(tasks.size());
    for (size_t i = 0; i < tasks.size(); ++i) {
      for (int c = 0; c < tasks[i].configs_size(); ++c) {
        v1::ConfigResult* r = (*reports)[i].add_results();
        r->set_config_index(c);
        r->set_prediction("p" + std::to_string(tasks[i].task_id()));
      }
    }
    ++finished;
    return std::vector<Status>(tasks.size());
  };
}

// Waits (up to a minute) until the batch is cancelled, then reports every task as cancelled.
std::vector<Status> wait_for_cancel(const std::vector<v1::Task>& tasks,
                                    const std::atomic<bool>& cancelled,
                                    std::vector<v1::ReportResultRequest>* reports) {
  const auto end = Clock::now() + std::chrono::seconds(60);
  while (!cancelled.load() && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reports->resize(tasks.size());
  return std::vector<Status>(tasks.size(), errorf(StatusCode::kCancelled, "cancelled"));
}

TEST_F(BatchWorkerTest, TasksArriveInBatchesAndEveryResultIsRecorded) {
  std::mutex mu;
  std::vector<std::vector<int64_t>> batches;
  std::atomic<int> finished{0};
  // Longer than the lease: the heartbeats must renew all four.
  BatchExecutor execute = recording_executor(mu, batches, finished, 2500);
  // The GPU busy share each heartbeat carries (a GPU worker's NVML meter; fixed here).
  wo_.gpu_busy = [] { return std::optional<double>(0.375); };
  std::atomic<bool> stop{false};
  Status st = run_worker(wo_, execute, stop);
  EXPECT_TRUE(st.ok()) << st.to_string();
  auto workers = server_->scheduler()->list_workers();
  ASSERT_TRUE(workers.ok() && workers->size() == 1u);
  EXPECT_EQ(workers->at(0).gpu_busy_fraction, 0.375);  // from the heartbeats
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size(), 4u);
  EXPECT_EQ(batches[1].size(), 2u);
  coordinator::SweepProgress p = progress();
  EXPECT_EQ(p.succeeded, 6);
  EXPECT_EQ(p.failed + p.pending + p.running, 0);
  EXPECT_EQ(p.prefills, 6);
  auto rows = server_->scheduler()->results(sweep_);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 12u);  // 6 tasks x 2 configs, each from its first attempt
  for (const coordinator::ResultRow& r : *rows) {
    EXPECT_EQ(r.attempt, 1);
    EXPECT_EQ(r.result.prediction, "p" + std::to_string(r.task_id));
  }
}

TEST_F(BatchWorkerTest, CancellingTheSweepStopsTheRunningBatch) {
  std::promise<void> started;
  std::promise<Clock::time_point> stopped;
  BatchExecutor execute = [&](const std::vector<v1::Task>& tasks,
                              const std::atomic<bool>& cancelled,
                              std::vector<v1::ReportResultRequest>* reports) {
    started.set_value();
    std::vector<Status> out = wait_for_cancel(tasks, cancelled, reports);
    stopped.set_value(Clock::now());
    return out;
  };
  std::atomic<bool> stop{false};
  std::future<Status> worker =
      std::async(std::launch::async, [&] { return run_worker(wo_, execute, stop); });
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const Clock::time_point cancel_time = Clock::now();
  auto cancelled = server_->scheduler()->cancel_sweep(sweep_);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, 6);
  std::future<Clock::time_point> stop_time = stopped.get_future();
  ASSERT_EQ(stop_time.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_LT(std::chrono::duration<double>(stop_time.get() - cancel_time).count(), 5.0);
  EXPECT_TRUE(worker.get().ok());
  coordinator::SweepProgress p = progress();
  EXPECT_EQ(p.cancelled, 6);
  EXPECT_EQ(p.succeeded + p.failed, 0);
}

TEST_F(BatchWorkerTest, TheNextLeaseIsPreparedWhileTheCurrentOneRuns) {
  std::mutex mu;
  std::vector<std::vector<int64_t>> batches;
  std::vector<std::vector<int64_t>> prepared;
  std::atomic<int> finished{0};
  bool prepared_while_running = true;
  wo_.prepare_ahead = [&](const std::vector<v1::Task>& tasks) {
    std::lock_guard<std::mutex> lock(mu);
    prepared.emplace_back();
    for (const v1::Task& t : tasks) {
      prepared.back().push_back(t.task_id());
    }
    prepared_while_running = prepared_while_running && finished.load() == 0;
  };
  // Longer than the lease: heartbeats must renew the running batch and the one taken ahead.
  BatchExecutor execute = recording_executor(mu, batches, finished, 2000);
  std::atomic<bool> stop{false};
  Status st = run_worker(wo_, execute, stop);
  EXPECT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size(), 4u);
  ASSERT_EQ(prepared.size(), 1u);  // the second lease, taken while the first ran
  EXPECT_EQ(prepared[0], batches[1]);
  EXPECT_TRUE(prepared_while_running);
  coordinator::SweepProgress p = progress();
  EXPECT_EQ(p.succeeded, 6);
  EXPECT_EQ(p.failed + p.pending + p.running, 0);
  auto rows = server_->scheduler()->results(sweep_);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 12u);
  for (const coordinator::ResultRow& r : *rows) {
    EXPECT_EQ(r.attempt, 1);  // no lease ran out while its task waited
    EXPECT_EQ(r.result.prediction, "p" + std::to_string(r.task_id));
  }
}

TEST_F(BatchWorkerTest, ALeaseTakenAheadAndCancelledIsNotRun) {
  std::promise<void> ahead;
  wo_.prepare_ahead = [&](const std::vector<v1::Task>&) { ahead.set_value(); };
  std::atomic<int> batches{0};
  BatchExecutor execute = [&](const std::vector<v1::Task>& tasks,
                              const std::atomic<bool>& cancelled,
                              std::vector<v1::ReportResultRequest>* reports) {
    ++batches;
    return wait_for_cancel(tasks, cancelled, reports);
  };
  std::atomic<bool> stop{false};
  std::future<Status> worker =
      std::async(std::launch::async, [&] { return run_worker(wo_, execute, stop); });
  ASSERT_EQ(ahead.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto cancelled = server_->scheduler()->cancel_sweep(sweep_);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, 6);
  ASSERT_EQ(worker.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(worker.get().ok());
  EXPECT_EQ(batches.load(), 1);  // the lease taken ahead was dropped unrun
  coordinator::SweepProgress p = progress();
  EXPECT_EQ(p.cancelled, 6);
  EXPECT_EQ(p.succeeded + p.failed, 0);
}

}  // namespace
}  // namespace hkv::worker
