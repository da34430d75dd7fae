// A cancelled sweep stops its running task (M12): the coordinator tells the worker on its next
// heartbeat and the worker raises the task's cancel flag, which the engine reads between decode
// steps (tests/cpu_engine/cpu_model_test.cc CancelStopsBetweenDecodeSteps, and
// tests/worker/cancel_test.cc for the executor's part).
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "coordinator/server.h"
#include "tests/testing/temp_dir.h"
#include "worker/worker_loop.h"

namespace hkv::worker {
namespace {

using Clock = std::chrono::steady_clock;

TEST(WorkerCancelTest, CancelledSweepStopsTheRunningTaskWithinFiveSeconds) {
  hkv::testing::TempDir dir;
  coordinator::ServerOptions so;
  so.db_path = dir.path() + "/c.db";
  so.token = "t";
  // `headkv coordinator`'s defaults: a 2 s heartbeat, a 30 s lease.
  so.scheduler = {/*heartbeat_period_ms=*/2000, /*lease_timeout_ms=*/30'000, 3};
  auto server = coordinator::CoordinatorServer::start(so);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  auto sweep = (*server)->scheduler()->submit_sweep(R"(name: c
model: /models/tiny.gguf
benchmarks:
  - {benchmark: longbench, datasets: [qasper], limit: 1}
methods:
  - {method: FullKV}
)",
                                                    "c.yaml");
  ASSERT_TRUE(sweep.ok()) << sweep.status().to_string();

  std::promise<void> started;
  std::promise<Clock::time_point> stopped;
  // A task that would run for a minute unless cancelled; it looks at the flag every 10 ms, as
  // the engine does between decode steps.
  TaskExecutor slow_task = [&](const v1::Task&, const std::atomic<bool>& cancelled,
                               v1::ReportResultRequest*) -> Status {
    started.set_value();
    const auto end = Clock::now() + std::chrono::seconds(60);
    while (!cancelled.load() && Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stopped.set_value(Clock::now());
    return cancelled.load() ? errorf(StatusCode::kCancelled, "cancelled")
                            : errorf(StatusCode::kInternal, "never cancelled");
  };
  WorkerOptions wo;
  wo.client = {"127.0.0.1:" + std::to_string((*server)->port()), "t", ""};
  wo.info.set_hostname("test");
  wo.info.set_device("cpu");
  wo.info.set_instance_id("cancel-test");
  wo.exit_when_idle = true;
  wo.spool_dir = dir.path() + "/spool";
  std::atomic<bool> stop{false};
  std::future<Status> worker =
      std::async(std::launch::async, [&] { return run_worker(wo, one_by_one(slow_task), stop); });
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const Clock::time_point cancel_time = Clock::now();
  auto cancelled = (*server)->scheduler()->cancel_sweep(sweep->sweep_id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(*cancelled, 1);
  std::future<Clock::time_point> stop_time = stopped.get_future();
  ASSERT_EQ(stop_time.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const double seconds = std::chrono::duration<double>(stop_time.get() - cancel_time).count();
  EXPECT_LT(seconds, 5.0) << "the task ran on for " << seconds << " s after the cancel";
  EXPECT_TRUE(worker.get().ok());  // the sweep is over: the worker leaves when idle
  auto progress = (*server)->scheduler()->sweep_progress(sweep->sweep_id);
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->cancelled, 1);
  EXPECT_EQ(progress->succeeded + progress->failed, 0);
}

}  // namespace
}  // namespace hkv::worker
