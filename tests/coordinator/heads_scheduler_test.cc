// Head detection through the scheduler: a heads sweep is one task per needle test carrying its
// block's settings and the single FullKV detection config; reports must carry per-head scores
// (and other benchmarks must not), which come back bit for bit from the results.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "coordinator/scheduler.h"
#include "tests/testing/temp_dir.h"

namespace hkv::coordinator {
namespace {

constexpr const char* kMixed = R"(
name: mixed
model: /models/smol.gguf
dtype: bf16
benchmarks:
  - {benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}
  - {benchmark: heads, datasets: [retrieval-reasoning], lengths: [0, 300], depths: [50],
     min_score: -1}
methods:
  - {method: SnapKV, budgets: [64, 128]}
)";

class HeadsSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Scheduler::open(dir_.path() + "/c.db", SchedulerOptions{}, [this] { return now_; });
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    scheduler_ = std::move(s).value();
    auto w = scheduler_->register_worker({"", "host", "cpu", "cpu", 0});
    ASSERT_TRUE(w.ok());
    worker_ = *w;
  }

  TaskAssignment pull() {
    auto a = scheduler_->pull_task(worker_);
    EXPECT_TRUE(a.ok() && a->has_value());
    return a.ok() && a->has_value() ? **a : TaskAssignment();
  }

  TaskReport report_for(const TaskAssignment& a) const {
    TaskReport r{worker_, a.task_id, a.attempt, true, "", false, 300, 5.0, {}};
    for (size_t i = 0; i < a.configs.size(); ++i) {
      r.results.push_back({static_cast<int32_t>(i), "p", 1.0, 64, 32, 2.0, 3});
    }
    return r;
  }

  hkv::testing::TempDir dir_;
  int64_t now_ = 1000;
  std::unique_ptr<Scheduler> scheduler_;
  std::string worker_;
};

TEST_F(HeadsSchedulerTest, HeadsTasksCarryTheirSettingsAndReturnTheirScores) {
  auto sub = scheduler_->submit_sweep(kMixed, "mixed.yaml");
  ASSERT_TRUE(sub.ok()) << sub.status().to_string();
  EXPECT_EQ(sub->num_tasks, 1 + 2 * 2 * 1);  // 1 BABILong sample + 2 needles x 2 lengths x 1 depth
  EXPECT_EQ(sub->num_configs, 3);            // SnapKV 64, 128 and the detection FullKV

  TaskAssignment babilong = pull();
  EXPECT_EQ(babilong.unit.benchmark, jobs::Benchmark::kBabilong);
  EXPECT_EQ(babilong.configs.size(), 2u);
  EXPECT_EQ(babilong.unit.options, "");
  // Other benchmarks must not report head scores.
  TaskReport wrong = report_for(babilong);
  wrong.results[0].head_scores = jobs::HeadTestScores{1, 1, {0.5}, true, true};
  auto rejected = scheduler_->report_result(wrong);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("carries head scores"), std::string::npos)
      << rejected.status().message();
  ASSERT_TRUE(scheduler_->report_result(report_for(babilong)).ok());

  TaskAssignment heads = pull();
  EXPECT_EQ(heads.unit.benchmark, jobs::Benchmark::kHeads);
  EXPECT_EQ(heads.unit.dataset, "retrieval-reasoning");
  EXPECT_EQ(heads.unit.sample_key, "0:0:50");
  EXPECT_EQ(heads.dtype, "bf16");  // the sweep's dtype reaches every task
  ASSERT_EQ(heads.configs.size(), 1u);
  EXPECT_STREQ(compression::method_name(heads.configs[0].method), "FullKV");
  auto options = jobs::heads_options_from_json(heads.unit.options, "task options");
  ASSERT_TRUE(options.ok()) << options.status().to_string();
  EXPECT_EQ(options->needles, 2);
  EXPECT_EQ(options->haystack_words, 300);
  EXPECT_DOUBLE_EQ(options->min_score, -1.0);

  // A heads report without scores is malformed.
  auto missing = scheduler_->report_result(report_for(heads));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("lacks head scores"), std::string::npos);
  // Scores that do not fill layers x heads are rejected (the fuzzer's find: once stored, they broke
  // every later results() of the sweep).
  TaskReport short_scores = report_for(heads);
  short_scores.results[0].head_scores = jobs::HeadTestScores{2, 3, {0.1}, true, false};
  auto bad_shape = scheduler_->report_result(short_scores);
  ASSERT_EQ(bad_shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_shape.status().message().find("holds 1 scores for 2 layers x 3 heads"),
            std::string::npos)
      << bad_shape.status().message();
  TaskReport ok = report_for(heads);
  jobs::HeadTestScores scores{2, 3, {0.1, 0.2, 1.0 / 3.0, 0.0, 0.42, 1.88}, true, false};
  ok.results[0].head_scores = scores;
  ASSERT_TRUE(scheduler_->report_result(ok).ok());

  auto rows = scheduler_->results(sub->sweep_id);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 3u);  // 2 BABILong configs + 1 heads test
  EXPECT_FALSE((*rows)[0].result.head_scores.has_value());
  const ResultRow& h = (*rows)[2];
  EXPECT_EQ(h.unit.benchmark, jobs::Benchmark::kHeads);
  ASSERT_TRUE(h.result.head_scores.has_value());
  EXPECT_EQ(*h.result.head_scores, scores);
  EXPECT_STREQ(compression::method_name(h.config.method), "FullKV");
}

}  // namespace
}  // namespace hkv::coordinator
