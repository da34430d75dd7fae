// TaskRunner::run_batch on the default model (CPU engine): a lease's tasks give exactly what
// run() gives one by one, a task that cannot be built fails alone, and heads tasks and groups of
// different generation limits are kept apart.
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
    Result<RunOutcome> want = single.run(requests[i]);
    ASSERT_TRUE(want.ok()) << want.status().to_string();
    EXPECT_EQ(outs[i]->sample.prompt_ids, want->sample.prompt_ids) << i;
    ASSERT_EQ(outs[i]->configs.size(), want->configs.size());
    for (size_t c = 0; c < want->configs.size(); ++c) {
      EXPECT_EQ(outs[i]->configs[c].prediction, want->configs[c].prediction) << i << "/" << c;
      EXPECT_EQ(outs[i]->configs[c].score, want->configs[c].score) << i << "/" << c;
      EXPECT_EQ(outs[i]->configs[c].cache_entries, want->configs[c].cache_entries);
      EXPECT_EQ(outs[i]->configs[c].new_tokens, want->configs[c].new_tokens);
      EXPECT_LE(outs[i]->configs[c].new_tokens, requests[i].max_new_tokens);
    }
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
