// The scheduler test fixture: a Scheduler over a temp SQLite file with a fake clock, and helpers
// to submit, register, pull and report (scheduler_test.cc, scheduler_robustness_test.cc).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/strings.h"
#include "coordinator/scheduler.h"
#include "tests/testing/temp_dir.h"

namespace hkv::coordinator {

// `samples` LongBench samples x 3 configs (FullKV, SnapKV 64 and 128).
inline std::string sweep_yaml(const std::string& name, int priority, int samples) {
  return strformat(R"(name: %s
model: /models/tiny.gguf
priority: %d
benchmarks:
  - {benchmark: longbench, datasets: [qasper], limit: %d}
methods:
  - {method: FullKV}
  - {method: SnapKV, budgets: [64, 128]}
)",
                   name.c_str(), priority, samples);
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/coordinator.db";
    scheduler_ = open();
  }

  std::unique_ptr<Scheduler> open() {
    auto s = Scheduler::open(path_, options_, [this] { return now_; });
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  int64_t submit(const std::string& name, int priority = 0, int samples = 3) {
    auto r = scheduler_->submit_sweep(sweep_yaml(name, priority, samples), name + ".yaml");
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? r->sweep_id : 0;
  }

  std::string add_worker(const std::string& host) {
    auto id = scheduler_->register_worker({"", host, "cuda:0", "H100", 80LL << 30});
    EXPECT_TRUE(id.ok()) << id.status().to_string();
    return id.ok() ? *id : "";
  }

  std::optional<TaskAssignment> pull(const std::string& worker) {
    auto task = scheduler_->pull_task(worker);
    EXPECT_TRUE(task.ok()) << task.status().to_string();
    return task.ok() ? *task : std::nullopt;
  }

  static TaskReport success(const TaskAssignment& a, const std::string& worker) {
    TaskReport r{worker, a.task_id, a.attempt, true, "", false, 1000, 12.5, {}};
    for (size_t i = 0; i < a.configs.size(); ++i) {
      r.results.push_back(
          {static_cast<int32_t>(i), "answer " + std::to_string(i), 0.5, 4096, 128, 3.0, 7});
    }
    return r;
  }

  static TaskReport failure(const TaskAssignment& a,
                            const std::string& worker,
                            const std::string& error,
                            bool retryable) {
    return TaskReport{worker, a.task_id, a.attempt, false, error, retryable, 0, 0.0, {}};
  }

  ReportOutcome report(const TaskReport& r) {
    auto outcome = scheduler_->report_result(r);
    EXPECT_TRUE(outcome.ok()) << outcome.status().to_string();
    return outcome.ok() ? *outcome : ReportOutcome::kStale;
  }

  SweepProgress progress(int64_t sweep_id) {
    auto p = scheduler_->sweep_progress(sweep_id);
    EXPECT_TRUE(p.ok()) << p.status().to_string();
    return p.ok() ? *p : SweepProgress();
  }

  TaskSummary task(int64_t sweep_id, int64_t task_id) {
    auto tasks = scheduler_->list_tasks(sweep_id);
    EXPECT_TRUE(tasks.ok());
    for (const TaskSummary& t : *tasks) {
      if (t.task_id == task_id) {
        return t;
      }
    }
    ADD_FAILURE() << "no task " << task_id;
    return TaskSummary();
  }

  // Outcome and error of every attempt of a task, read through a second connection.
  std::vector<std::string> attempt_log(int64_t task_id) {
    auto store = Store::open(path_);
    EXPECT_TRUE(store.ok());
    auto stmt = store->query(
        "SELECT outcome, COALESCE(error, '') FROM attempts WHERE task_id = ? ORDER BY attempt",
        task_id);
    std::vector<std::string> log;
    while (stmt.ok() && *stmt->step()) {
      log.push_back(stmt->column_text(0) + ": " + stmt->column_text(1));
    }
    return log;
  }

  hkv::testing::TempDir dir_;
  std::string path_;
  int64_t now_ = 1'000'000;
  SchedulerOptions options_{/*heartbeat_period_ms=*/1000, /*lease_timeout_ms=*/5000,
                            /*max_attempts=*/3};
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace hkv::coordinator
