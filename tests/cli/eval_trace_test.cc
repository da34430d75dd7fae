// `headkv eval --trace FILE` on the real default model: the first sample's trace names the unit,
// has one entry per config, each head's capacity is the size of its kept set, and the kept sets are
// the ones the engine itself records for that sample (TaskRunner with RunRequest::trace).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/eval.h"
#include "common/json.h"
#include "jobs/sweep_spec.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "worker/task_runner.h"

namespace hkv::cli {
namespace {

TEST(EvalTraceTest, FirstSampleTraceMatchesTheEnginesKeptSets) {
  const std::string model_path = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model_path, "run scripts/fetch-assets.sh");
  hkv::testing::TempDir dir;
  EvalOptions o;
  o.model = model_path;
  o.benchmark = "babilong";
  o.datasets = {"qa1"};
  o.limit = 1;
  o.methods = {"SnapKV", "HeadKV-R"};
  o.budgets = {64};
  o.max_new_tokens = 4;
  o.out_dir = dir.path() + "/eval";
  o.device = "cpu";
  o.trace = dir.path() + "/trace.json";
  ASSERT_EQ(run_eval(o), 0);

  std::ifstream in(o.trace);
  std::stringstream text;
  text << in.rdbuf();
  auto trace = parse_json(text.str(), o.trace);
  ASSERT_TRUE(trace.ok()) << trace.status().to_string();
  EXPECT_EQ((*trace)["unit"], "babilong/qa1/0k:0");
  const Json& configs = (*trace)["configs"];
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0]["config"], "SnapKV B=64 reference");
  EXPECT_EQ(configs[0]["first_decode_top10"].size(), 10u);

  // The same unit through the worker's runner, recording the engine's kept sets directly.
  jobs::MethodFlags flags;
  flags.methods = o.methods;
  flags.budgets = o.budgets;
  flags.betas = o.betas;
  auto specs = jobs::method_specs_from_flags(flags);
  ASSERT_TRUE(specs.ok());
  auto grid = jobs::expand_method_grid(*specs);
  ASSERT_TRUE(grid.ok()) << grid.status().to_string();
  worker::RunnerOptions ro;
  ro.engine.device = "cpu";
  worker::TaskRunner runner(ro);
  std::vector<model::ConfigTrace> engine_trace;
  worker::RunRequest request{
      model_path, {jobs::Benchmark::kBabilong, "qa1", "0k:0", ""}, *grid, o.max_new_tokens};
  request.trace = &engine_trace;
  auto run = runner.run(request);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(engine_trace.size(), 2u);
  for (size_t i = 0; i < engine_trace.size(); ++i) {
    const auto& kept = engine_trace[i].kept;
    ASSERT_EQ(configs[i]["kept"].size(), kept.size()) << i;
    for (size_t l = 0; l < kept.size(); ++l) {
      ASSERT_EQ(configs[i]["kept"][l].size(), kept[l].size());
      for (size_t h = 0; h < kept[l].size(); ++h) {
        EXPECT_EQ(configs[i]["kept"][l][h].get<std::vector<int32_t>>(), kept[l][h])
            << "config " << i << " layer " << l << " head " << h;
        EXPECT_EQ(configs[i]["capacity"][l][h].get<size_t>(), kept[l][h].size());
      }
    }
  }
  // HeadKV gives heads different capacities; SnapKV gives every head the same.
  std::set<size_t> snap_caps, headkv_caps;
  for (const auto& layer : engine_trace[0].kept) {
    for (const auto& head : layer) {
      snap_caps.insert(head.size());
    }
  }
  for (const auto& layer : engine_trace[1].kept) {
    for (const auto& head : layer) {
      headkv_caps.insert(head.size());
    }
  }
  EXPECT_EQ(snap_caps.size(), 1u);
  EXPECT_GT(headkv_caps.size(), 1u);
}

}  // namespace
}  // namespace hkv::cli
