// Regression tests for the coordinator probes (M14): non-finite report and heartbeat values are
// rejected, never acknowledged and lost; a retried submit returns the sweep it committed; large
// sweeps read back in pages; a corrupt, foreign or read-only database is refused with a message;
// a database has one coordinator; reports committed together stay independent.
#include <cmath>
#include <fstream>
#include <future>
#include <limits>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "coordinator/server.h"
#include "coordinator/store.h"
#include "tests/coordinator/scheduler_fixture.h"

namespace hkv::coordinator {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST_F(SchedulerTest, NonFiniteReportValuesAreRejectedAndNothingIsRecorded) {
  int64_t sweep = submit("s", 0, 1);
  std::string w = add_worker("a");
  auto a = pull(w);
  ASSERT_TRUE(a.has_value());
  TaskReport bad = success(*a, w);
  bad.results[1].score = kNaN;
  auto r = scheduler_->report_result(bad);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("results[config 1].score is nan"), std::string::npos)
      << r.status().message();
  bad = success(*a, w);
  bad.prefill_ms = std::numeric_limits<double>::infinity();
  EXPECT_EQ(scheduler_->report_result(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(scheduler_->results(sweep)->empty());
  EXPECT_EQ(progress(sweep).succeeded, 0);  // still leased: a valid report completes it
  EXPECT_EQ(report(success(*a, w)), ReportOutcome::kRecorded);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 3u);
}

TEST_F(SchedulerTest, NonFiniteHeartbeatIsInvalidArgument) {
  std::string w = add_worker("a");
  auto r = scheduler_->heartbeat({w, 0, 0, kNaN, false});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("tokens_per_second"), std::string::npos);
  for (double busy : {-0.1, 1.5, kNaN}) {
    r = scheduler_->heartbeat({w, 0, 0, 1.0, false, busy});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << busy;
    EXPECT_NE(r.status().message().find("busy_fraction"), std::string::npos);
    Heartbeat gpu{w, 0, 0, 1.0, false, 0.5};
    gpu.gpu_busy_fraction = busy;
    r = scheduler_->heartbeat(gpu);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << busy;
    EXPECT_NE(r.status().message().find("gpu_busy_fraction"), std::string::npos);
  }
}

TEST_F(SchedulerTest, HeartbeatBusyFractionIsListedWithTheWorker) {
  std::string w = add_worker("a");
  ASSERT_TRUE(scheduler_->heartbeat({w, 0, 0, 12.5, false, 0.75}).ok());
  auto workers = scheduler_->list_workers();
  ASSERT_TRUE(workers.ok()) << workers.status().to_string();
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_DOUBLE_EQ((*workers)[0].busy_fraction, 0.75);
  EXPECT_DOUBLE_EQ((*workers)[0].tokens_per_second, 12.5);
  EXPECT_FALSE((*workers)[0].gpu_busy_fraction.has_value());  // not measured
  Heartbeat gpu{w, 0, 0, 12.5, false, 0.75};
  gpu.gpu_busy_fraction = 0.625;
  ASSERT_TRUE(scheduler_->heartbeat(gpu).ok());
  EXPECT_EQ(scheduler_->list_workers()->at(0).gpu_busy_fraction, 0.625);
  ASSERT_TRUE(scheduler_->heartbeat({w, 0, 0, 12.5, false, 0.75}).ok());
  EXPECT_FALSE(scheduler_->list_workers()->at(0).gpu_busy_fraction.has_value());  // that period's
}

TEST_F(SchedulerTest, RetriedSubmitReturnsTheCommittedSweep) {
  const std::string text = sweep_yaml("s", 0, 2);
  auto first = scheduler_->submit_sweep(text, "s.yaml", "req-1");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto again = scheduler_->submit_sweep(text, "s.yaml", "req-1");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->sweep_id, first->sweep_id);
  EXPECT_EQ(again->num_tasks, 2);
  EXPECT_EQ(again->num_configs, 3);
  EXPECT_EQ(scheduler_->list_sweeps()->size(), 1u);
  auto other = scheduler_->submit_sweep(sweep_yaml("t", 0, 1), "t.yaml", "req-1");
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  auto fresh = scheduler_->submit_sweep(text, "s.yaml", "req-2");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->sweep_id, first->sweep_id);
  // Survives a restart: the id is stored with the sweep.
  scheduler_.reset();
  scheduler_ = open();
  EXPECT_EQ(scheduler_->submit_sweep(text, "s.yaml", "req-1")->sweep_id, first->sweep_id);
}

TEST_F(SchedulerTest, PagesCoverEveryTaskAndResultOnce) {
  int64_t sweep = submit("s", 0, 40);
  std::string w = add_worker("a");
  while (auto a = pull(w)) {
    report(success(*a, w));
  }
  std::set<std::pair<int64_t, int32_t>> rows;
  int64_t after = 0, pages = 0;
  do {
    int64_t next = 0;
    auto page = scheduler_->results_page(sweep, after, /*page_bytes=*/1000, &next);
    ASSERT_TRUE(page.ok()) << page.status().to_string();
    ASSERT_FALSE(page->empty());
    for (const ResultRow& r : *page) {
      EXPECT_GT(r.task_id, after);
      EXPECT_TRUE(rows.insert({r.task_id, r.result.config_index}).second);
    }
    EXPECT_EQ(page->size() % 3, 0u);  // whole tasks
    after = next;
    ++pages;
  } while (after != 0);
  EXPECT_EQ(rows.size(), 120u);
  EXPECT_GT(pages, 3);
  std::set<int64_t> tasks;
  after = 0;
  do {
    int64_t next = 0;
    auto page = scheduler_->list_tasks_page(sweep, after, 500, &next);
    ASSERT_TRUE(page.ok());
    for (const TaskSummary& t : *page) {
      EXPECT_TRUE(tasks.insert(t.task_id).second);
    }
    after = next;
  } while (after != 0);
  EXPECT_EQ(tasks.size(), 40u);
}

TEST(StoreOpenTest, GarbageFileIsRefusedNamingIt) {
  hkv::testing::TempDir dir;
  std::string path = dir.write("garbage.db", std::string(8192, '\x5a'));
  auto store = Store::open(path);
  ASSERT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find(path + "' is not a usable SQLite database"),
            std::string::npos)
      << store.status().message();
}

TEST(StoreOpenTest, CorruptDatabaseFailsQuickCheck) {
  hkv::testing::TempDir dir;
  const std::string path = dir.path() + "/state.db";
  {
    auto store = Store::open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->exec_script("PRAGMA wal_checkpoint(TRUNCATE);").ok());
  }
  // Overwrite every page but the first (the schema) with garbage: the tables' b-trees break.
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  ASSERT_GT(size, 4096);
  f.seekp(4096);
  std::string junk(static_cast<size_t>(size - 4096), '\x7f');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  f.close();
  auto store = Store::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
}

TEST(CoordinatorServerTest, BadDatabaseIsAnErrorNotACrash) {
  hkv::testing::TempDir dir;
  ServerOptions o;
  o.db_path = dir.write("garbage.db", std::string(4096, '\x01'));
  o.token = "t";
  auto server = CoordinatorServer::start(o);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kDataLoss);
  o.db_path = dir.path() + "/no-such-folder/state.db";
  server = CoordinatorServer::start(o);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("writable"), std::string::npos)
      << server.status().message();
}

TEST(CoordinatorServerTest, OneCoordinatorPerDatabaseAndPort) {
  hkv::testing::TempDir dir;
  ServerOptions o;
  o.db_path = dir.path() + "/state.db";
  o.token = "t";
  auto first = CoordinatorServer::start(o);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto second = CoordinatorServer::start(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another coordinator"), std::string::npos)
      << second.status().message();
  ServerOptions other = o;
  other.db_path = dir.path() + "/other.db";
  other.listen_address = "127.0.0.1:" + std::to_string((*first)->port());
  auto third = CoordinatorServer::start(other);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("cannot listen"), std::string::npos);
}

}  // namespace

TEST_F(SchedulerTest, ReportsQueuedTogetherAreCommittedIndependently) {
  int64_t sweep = submit("s", 0, 6);
  std::vector<std::string> workers;
  std::vector<TaskAssignment> tasks;
  for (int i = 0; i < 6; ++i) {
    workers.push_back(add_worker("host" + std::to_string(i)));
    auto a = pull(workers.back());
    ASSERT_TRUE(a.has_value());
    tasks.push_back(*a);
  }
  // Queued back to back, so the committer takes several in one transaction: a success, a
  // report whose config index is out of range (InvalidArgument: only it is undone), the same
  // success again (a duplicate of a report in the same batch), a failure, and two successes.
  std::vector<TaskReport> reports = {
      success(tasks[0], workers[0]), success(tasks[1], workers[1]),
      success(tasks[0], workers[0]), failure(tasks[2], workers[2], "boom", false),
      success(tasks[3], workers[3]), success(tasks[4], workers[4])};
  reports[1].results[2].config_index = 9;
  std::vector<std::promise<Result<ReportOutcome>>> promises(reports.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    scheduler_->report_result_async(reports[i], [&promises, i](Result<ReportOutcome> outcome) {
      promises[i].set_value(std::move(outcome));
    });
  }
  std::vector<Result<ReportOutcome>> outcomes;
  for (auto& p : promises) {
    outcomes.push_back(p.get_future().get());
  }
  EXPECT_EQ(*outcomes[0], ReportOutcome::kRecorded);
  EXPECT_EQ(outcomes[1].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*outcomes[2], ReportOutcome::kDuplicate);
  EXPECT_EQ(*outcomes[3], ReportOutcome::kRecorded);
  EXPECT_EQ(*outcomes[4], ReportOutcome::kRecorded);
  EXPECT_EQ(*outcomes[5], ReportOutcome::kRecorded);
  SweepProgress p = progress(sweep);
  EXPECT_EQ(p.succeeded, 3);
  EXPECT_EQ(p.failed, 1);
  EXPECT_EQ(p.running, 2);  // task 1 (its report was refused) and task 5 (not reported)
  EXPECT_EQ(scheduler_->results(sweep)->size(), 9u);
  // The refused task's partial rows were rolled back with its savepoint: a valid report now
  // completes it.
  EXPECT_EQ(report(success(tasks[1], workers[1])), ReportOutcome::kRecorded);
  EXPECT_EQ(scheduler_->results(sweep)->size(), 12u);
  // Everything acknowledged is on disk: a second scheduler on the file sees it.
  scheduler_.reset();
  scheduler_ = open();
  EXPECT_EQ(progress(sweep).succeeded, 4);
}

}  // namespace hkv::coordinator
