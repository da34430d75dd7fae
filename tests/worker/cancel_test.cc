// A cancelled task stops (M12): the worker's executor hands the cancel flag to the engine
// (tests/cli/cancel_sweep_test.cc: the coordinator-to-worker part).
#include <atomic>

#include <gtest/gtest.h>

#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "worker/task_executor.h"
#include "worker/task_runner.h"

namespace hkv::worker {
namespace {

// The worker's executor hands the flag to the engine: a cancelled task on the real model stops
// (here before its prefill) instead of running to the end.
TEST(WorkerCancelTest, ExecutorPassesTheCancelFlagToTheEngine) {
  const std::string model_path = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model_path, "run scripts/fetch-assets.sh");
  RunnerOptions ro;
  ro.engine.device = "cpu";
  TaskRunner runner(ro);
  TaskExecutor execute = make_task_executor(&runner);
  v1::Task task;
  task.set_model(model_path);
  task.set_benchmark(v1::BENCHMARK_BABILONG);  // a short prompt: the uncancelled run is quick
  task.set_dataset("qa1");
  task.set_sample_key("0k:0");
  task.set_max_new_tokens(8);
  v1::CompressionConfig* config = task.add_configs();
  config->set_method("FullKV");
  config->set_window_tokens(8);
  config->set_kernel_size(7);
  config->set_pooling("maxpool");
  config->set_layout("reference");
  std::atomic<bool> cancelled{true};
  v1::ReportResultRequest report;
  Status st = execute(task, cancelled, &report);
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.to_string();
  EXPECT_EQ(report.results_size(), 0);
  cancelled = false;
  st = execute(task, cancelled, &report);
  EXPECT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(report.results_size(), 1);
}

}  // namespace
}  // namespace hkv::worker
