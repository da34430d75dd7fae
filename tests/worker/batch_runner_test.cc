// TaskRunner::run_batch on the default model (CPU engine): a lease's tasks give exactly what
// run() gives one by one, a task that cannot be built fails alone, and heads tasks and groups of
// different generation limits are kept apart. Prompts prepared ahead on another thread, while an
// earlier lease runs, give the same outcomes and keep the prompt work off the engine's path.
#include <thread>

#include <gtest/gtest.h>

#include "tests/testing/data.h"
#include "worker/task_runner.h"

namespace hkv::worker {
namespace {

RunRequest babilong(const std::string& model, const std::string& task, const std::string& key) {
  RunRequest r;
  r.model = model;
  r.unit.benchmark = jobs::Benchmark::kBabilong;
  r.unit.dataset = task;
  r.unit.sample_key = key;
  r.max_new_tokens = 6;
  compression::CompressionConfig full;
  full.method = compression::Method::kFullKv;
  compression::CompressionConfig snap;
  snap.method = compression::Method::kSnapKv;
  snap.budget = 64;
  r.configs = {full, snap};
  return r;
}

// `got` is what `single` gives for `r` run alone: same prompt, predictions, scores, caches.
void expect_as_run_alone(const RunOutcome& got, const RunRequest& r, TaskRunner& single, size_t i) {
  Result<RunOutcome> want = single.run(r);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  EXPECT_EQ(got.sample.prompt_ids, want->sample.prompt_ids) << i;
  ASSERT_EQ(got.configs.size(), want->configs.size());
  for (size_t c = 0; c < want->configs.size(); ++c) {
    EXPECT_EQ(got.configs[c].prediction, want->configs[c].prediction) << i << "/" << c;
    EXPECT_EQ(got.configs[c].score, want->configs[c].score) << i << "/" << c;
    EXPECT_EQ(got.configs[c].cache_entries, want->configs[c].cache_entries);
    EXPECT_EQ(got.configs[c].new_tokens, want->configs[c].new_tokens);
    EXPECT_LE(got.configs[c].new_tokens, r.max_new_tokens);
  }
}

TEST(BatchRunnerTest, ABatchGivesWhatOneByOneGivesAndABadTaskFailsAlone) {
  const std::string model = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model, "run scripts/fetch-assets.sh");
  RunnerOptions ro;
  ro.engine.device = "cpu";
  ro.data_dir = hkv::testing::repo_data_dir();
  std::vector<RunRequest> requests = {babilong(model, "qa1", "0k:0"),
                                      babilong(model, "qa1", "0k:1"),
                                      babilong(model, "qa1", "0k:100000"),  // no such sample
                                      babilong(model, "qa2", "0k:0")};
  requests[3].max_new_tokens = 4;  // another generation limit: its own group
  TaskRunner batched(ro);
  std::vector<Result<RunOutcome>> outs = batched.run_batch(requests);
  ASSERT_EQ(outs.size(), requests.size());
  EXPECT_EQ(outs[2].status().code(), StatusCode::kOutOfRange) << outs[2].status().to_string();
  EXPECT_EQ(batched.prefills(), 3);
  TaskRunner single(ro);
  for (size_t i : {0u, 1u, 3u}) {
    ASSERT_TRUE(outs[i].ok()) << i << ": " << outs[i].status().to_string();
    expect_as_run_alone(*outs[i], requests[i], single, i);
  }
}

TEST(BatchRunnerTest, PromptsPreparedAheadGiveTheSameOutcomes) {
  const std::string model = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model, "run scripts/fetch-assets.sh");
  RunnerOptions ro;
  ro.engine.device = "cpu";
  ro.data_dir = hkv::testing::repo_data_dir();
  std::vector<RunRequest> first = {babilong(model, "qa1", "0k:0"), babilong(model, "qa1", "0k:1")};
  std::vector<RunRequest> second = {babilong(model, "qa1", "0k:2"),
                                    babilong(model, "qa1", "0k:100000"),  // fails to prepare
                                    babilong(model, "qa2", "0k:1")};
  TaskRunner runner(ro);
  runner.prepare_ahead(first);  // the model is not loaded yet: left to run_batch
  EXPECT_EQ(runner.phase_times().prepare_s, 0.0);
  // The second lease's prompts are built while the first lease runs.
  std::thread ahead;
  std::vector<Result<RunOutcome>> outs;
  {
    // The model loads in the first run_batch; prepare_ahead finds it once it is there.
    std::vector<Result<RunOutcome>> warm = runner.run_batch({first[0]});
    ASSERT_TRUE(warm[0].ok()) << warm[0].status().to_string();
    // A batch of two (the grouped path), its prompts and scores under the model's lock too.
    ahead = std::thread([&] { runner.prepare_ahead(second); });
    outs = runner.run_batch({first[1], babilong(model, "qa1", "0k:3")});
    ahead.join();
  }
  const TaskRunner::PhaseTimes before = runner.phase_times();
  EXPECT_GT(before.ahead_s, 0.0);
  std::vector<Result<RunOutcome>> seconds = runner.run_batch(second);
  const TaskRunner::PhaseTimes after = runner.phase_times();
  ASSERT_EQ(seconds.size(), 3u);
  EXPECT_EQ(seconds[1].status().code(), StatusCode::kOutOfRange) << seconds[1].status().to_string();
  // Only the task that could not be prepared ahead was prepared again on the engine's path.
  EXPECT_GT(after.prepare_s, before.prepare_s);
  EXPECT_GT(after.engine_s, before.engine_s);
  EXPECT_GT(after.score_s, before.score_s);
  EXPECT_EQ(runner.prefills(), 5);
  EXPECT_EQ(after.tasks_ahead, 2);
  TaskRunner single(ro);
  for (size_t i : {0u, 2u}) {
    ASSERT_TRUE(seconds[i].ok()) << i << ": " << seconds[i].status().to_string();
    expect_as_run_alone(*seconds[i], second[i], single, i);
  }
  ASSERT_EQ(outs.size(), 2u);
  ASSERT_TRUE(outs[0].ok() && outs[1].ok()) << outs[0].status().to_string();
}

TEST(BatchRunnerTest, APreparationIsTakenOnlyByItsOwnTask) {
  const std::string model = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model, "run scripts/fetch-assets.sh");
  RunnerOptions ro;
  ro.engine.device = "cpu";
  ro.data_dir = hkv::testing::repo_data_dir();
  TaskRunner runner(ro);
  ASSERT_TRUE(runner.run(babilong(model, "qa1", "0k:0")).ok());  // loads the model
  runner.prepare_ahead({babilong(model, "qa1", "0k:1")});
  const double prepared = runner.phase_times().prepare_s;
  // Another generation limit is another task: prepared again, with its own limit.
  RunRequest other = babilong(model, "qa1", "0k:1");
  other.max_new_tokens = 2;
  Result<RunOutcome> out = runner.run(other);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_GT(runner.phase_times().prepare_s, prepared);
  EXPECT_EQ(runner.phase_times().tasks_ahead, 0);
  for (const ConfigOutcome& c : out->configs) {
    EXPECT_LE(c.new_tokens, 2);
  }
}

TEST(BatchRunnerTest, AnUnknownModelFailsEveryTaskThatNamesIt) {
  RunnerOptions ro;
  ro.engine.device = "cpu";
  TaskRunner runner(ro);
  std::vector<RunRequest> requests = {babilong("/nonexistent/model.gguf", "qa1", "0k:0"),
                                      babilong("/nonexistent/model.gguf", "qa1", "0k:1")};
  std::vector<Result<RunOutcome>> outs = runner.run_batch(requests);
  ASSERT_EQ(outs.size(), 2u);
  for (const Result<RunOutcome>& o : outs) {
    EXPECT_FALSE(o.ok());
    EXPECT_NE(o.status().message().find("/nonexistent/model.gguf"), std::string::npos)
        << o.status().to_string();
  }
  EXPECT_EQ(runner.prefills(), 0);
}

}  // namespace
}  // namespace hkv::worker
