// Sweep specs: YAML/JSON parsing, errors that name the field path, grid expansion order, config
// JSON round trip, and the example sweep files.
#include "jobs/sweep_spec.h"

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/mapped_file.h"

namespace hkv::jobs {
namespace {

constexpr const char* kYaml = R"(
name: tiny
model: /models/tiny.gguf
priority: 3
benchmarks:
  - benchmark: longbench
    datasets: [qasper, 2wikimqa]
    limit: 2
  - benchmark: needle
    lengths: {start: 1000, stop: 3000, step: 1000}
    depths: 2
  - benchmark: babilong
    datasets: [qa1]
    splits: [0k, 1k]
    limit: 2
methods:
  - method: FullKV
  - method: snapkv
    budgets: [64, 128]
  - method: HeadKV-R2
    budgets: 128
    betas: [1.01, 2]
)";

SweepSpec parse_ok(std::string_view text) {
  Result<SweepSpec> spec = parse_sweep_spec(text, "test.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().to_string();
  return spec.ok() ? *spec : SweepSpec();
}

TEST(SweepSpecTest, ParsesYamlWithDefaults) {
  SweepSpec spec = parse_ok(kYaml);
  EXPECT_EQ(spec.name, "tiny");
  EXPECT_EQ(spec.model, "/models/tiny.gguf");
  EXPECT_EQ(spec.dtype, "");  // each worker's --dtype
  EXPECT_EQ(spec.priority, 3);
  EXPECT_EQ(spec.window, 8);
  EXPECT_EQ(spec.kernel, 7);
  EXPECT_EQ(spec.pooling, "maxpool");
  ASSERT_EQ(spec.methods.size(), 3u);
  EXPECT_EQ(spec.methods[1].method, "SnapKV");  // canonicalised
  EXPECT_EQ(spec.methods[2].temps, std::vector<double>{1.0});
  EXPECT_EQ(spec.methods[2].head_scores, "reasoning");  // HeadKV-R2's default
  ASSERT_EQ(spec.benchmarks.size(), 3u);
  EXPECT_EQ(spec.benchmarks[0].datasets[1], "2wikimqa");  // not read as a number
  EXPECT_EQ(spec.benchmarks[1].datasets, std::vector<std::string>{kDefaultNeedleHaystack});
  EXPECT_EQ(spec.benchmarks[1].needle_lengths_tokens, (std::vector<int32_t>{1000, 2000, 3000}));
  EXPECT_EQ(spec.benchmarks[1].needle_depths_percent, (std::vector<int32_t>{0, 100}));
}

TEST(SweepSpecTest, ExpansionOrderIsDeterministic) {
  ExpandedSweep e = expand_sweep(parse_ok(kYaml));
  ASSERT_EQ(e.configs.size(), 5u);
  EXPECT_STREQ(compression::method_name(e.configs[0].method), "FullKV");
  EXPECT_EQ(e.configs[0].budget, 0);
  EXPECT_STREQ(compression::method_name(e.configs[1].method), "SnapKV");
  EXPECT_EQ(e.configs[1].budget, 64);
  EXPECT_EQ(e.configs[1].beta, 0.0);  // neutral outside HeadKV
  EXPECT_EQ(e.configs[2].budget, 128);
  EXPECT_STREQ(compression::method_name(e.configs[3].method), "HeadKV-R2");
  EXPECT_EQ(e.configs[3].beta, 1.01);
  EXPECT_EQ(e.configs[4].beta, 2.0);
  EXPECT_EQ(e.configs[4].temp, 1.0);
  EXPECT_EQ(e.configs[4].head_scores, "reasoning");

  std::vector<std::string> keys;
  for (const WorkUnit& u : e.units) {
    keys.push_back(std::string(benchmark_name(u.benchmark)) + "/" + u.dataset + "/" + u.sample_key);
  }
  std::vector<std::string> expected = {
      "longbench/qasper/0",
      "longbench/qasper/1",
      "longbench/2wikimqa/0",
      "longbench/2wikimqa/1",
      "needle/PaulGrahamEssays/1000:0",
      "needle/PaulGrahamEssays/1000:100",
      "needle/PaulGrahamEssays/2000:0",
      "needle/PaulGrahamEssays/2000:100",
      "needle/PaulGrahamEssays/3000:0",
      "needle/PaulGrahamEssays/3000:100",
      "babilong/qa1/0k:0",
      "babilong/qa1/0k:1",
      "babilong/qa1/1k:0",
      "babilong/qa1/1k:1",
  };
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(expand_sweep(parse_ok(kYaml)).units, e.units);  // pure
}

TEST(SweepSpecTest, JsonAndYamlGiveTheSameSweep) {
  const char* json = R"({"name": "tiny", "model": "/models/tiny.gguf", "priority": 3,
    "benchmarks": [
      {"benchmark": "longbench", "datasets": ["qasper", "2wikimqa"], "limit": 2},
      {"benchmark": "needle", "lengths": {"start": 1000, "stop": 3000, "step": 1000}, "depths": 2},
      {"benchmark": "babilong", "datasets": ["qa1"], "splits": ["0k", "1k"], "limit": 2}],
    "methods": [{"method": "FullKV"}, {"method": "snapkv", "budgets": [64, 128]},
                {"method": "HeadKV-R2", "budgets": 128, "betas": [1.01, 2]}]})";
  ExpandedSweep a = expand_sweep(parse_ok(kYaml));
  ExpandedSweep b = expand_sweep(parse_ok(json));
  EXPECT_EQ(a.configs, b.configs);
  EXPECT_EQ(a.units, b.units);
}

// Grids from the reference scripts: ReasonKV + head_choice and AdativeKV name the paper's methods.
TEST(SweepSpecTest, ReferenceMethodNamesAreAccepted) {
  SweepSpec spec = parse_ok(R"(name: ref
model: /models/tiny.gguf
benchmarks:
  - {benchmark: longbench, datasets: [qasper], limit: 1}
methods:
  - {method: ReasonKV, head_choice: copy, budgets: [128], betas: [1.01]}
  - {method: ReasonKV, head_choice: reason, budgets: [128], betas: [1.01]}
  - {method: AdativeKV, budgets: [128]}
)");
  ASSERT_EQ(spec.methods.size(), 3u);
  EXPECT_EQ(spec.methods[0].method, "HeadKV-R");
  EXPECT_EQ(spec.methods[0].head_scores, "retrieval");
  EXPECT_EQ(spec.methods[1].method, "HeadKV-R2");
  EXPECT_EQ(spec.methods[1].head_scores, "reasoning");
  EXPECT_EQ(spec.methods[2].method, "Ada-SnapKV");
  const std::string base =
      "name: ref\nmodel: /m.gguf\nbenchmarks:\n  - {benchmark: longbench, "
      "datasets: [qasper], limit: 1}\nmethods:\n  - ";
  auto error = [&](const std::string& block) {
    return parse_sweep_spec(base + block + "\n", "ref.yaml").status().message();
  };
  EXPECT_NE(error("{method: ReasonKV, budgets: [128], betas: [1.01]}").find("needs head_choice"),
            std::string::npos);
  EXPECT_NE(error("{method: ReasonKV, head_choice: mix, budgets: [128], betas: [1.01]}")
                .find("methods[0].head_choice"),
            std::string::npos);
  EXPECT_NE(error("{method: SnapKV, head_choice: copy, budgets: [128]}")
                .find("only the reference's ReasonKV takes head_choice"),
            std::string::npos);
}

TEST(SweepSpecTest, DuplicateConfigsAcrossBlocksAreMerged) {
  SweepSpec spec = parse_ok(R"(
name: d
model: m
benchmarks: [{benchmark: longbench, datasets: [qasper], limit: 1}]
methods:
  - {method: SnapKV, budgets: [128, 256]}
  - {method: SnapKV, budgets: [256, 512]}
)");
  ExpandedSweep e = expand_sweep(spec);
  ASSERT_EQ(e.configs.size(), 3u);
  EXPECT_EQ(e.configs[2].budget, 512);
}

TEST(SweepSpecTest, DatasetSizesComeFromTablesAndLimitsClamp) {
  SweepSpec spec = parse_ok(R"(
name: s
model: m
benchmarks:
  - {benchmark: longbench, datasets: [multifieldqa_en]}
  - {benchmark: longbench, datasets: [qasper], limit: 500}
  - {benchmark: babilong, datasets: [qa5], splits: [4k]}
methods: [{method: FullKV}]
)");
  ExpandedSweep e = expand_sweep(spec);
  EXPECT_EQ(e.units.size(), 150u + 200u + 100u);
  EXPECT_EQ(e.units.back().sample_key, "4k:99");
}

TEST(SweepSpecTest, NeedleDepthsFollowTheReferenceGrid) {
  EXPECT_EQ(needle_depths_from_count(10),
            (std::vector<int32_t>{0, 11, 22, 33, 44, 56, 67, 78, 89, 100}));
  EXPECT_EQ(needle_depths_from_count(1), std::vector<int32_t>{0});
  EXPECT_EQ(needle_depths_from_count(3), (std::vector<int32_t>{0, 50, 100}));
}

TEST(SweepSpecTest, MethodNamesAreCanonicalised) {
  EXPECT_EQ(canonical_method("AdativeKV"), "Ada-SnapKV");
  EXPECT_EQ(canonical_method("ada_snapkv"), "Ada-SnapKV");
  EXPECT_EQ(canonical_method("headkv-r"), "HeadKV-R");
  EXPECT_EQ(canonical_method("HEADKV_R2"), "HeadKV-R2");
  EXPECT_EQ(canonical_method("CopyKV"), "");
}

TEST(SweepSpecTest, HomeIsExpandedInPaths) {
  EXPECT_EQ(expand_home("~/m.gguf", "/home/x"), "/home/x/m.gguf");
  EXPECT_EQ(expand_home("/abs/~/m", "/home/x"), "/abs/~/m");
  EXPECT_EQ(expand_home("~user/m", "/home/x"), "~user/m");
  const char* old_home = std::getenv("HOME");
  std::string saved = old_home != nullptr ? old_home : "";
  setenv("HOME", "/home/tester", 1);
  SweepSpec spec = parse_ok(R"(
name: h
model: ~/models/m.gguf
benchmarks: [{benchmark: longbench, datasets: [qasper], limit: 1}]
methods: [{method: HeadKV-R, budgets: [128], betas: [1.01], head_scores: ~/scores/r.json}]
)");
  setenv("HOME", saved.c_str(), 1);
  EXPECT_EQ(spec.model, "/home/tester/models/m.gguf");
  EXPECT_EQ(spec.methods[0].head_scores, "/home/tester/scores/r.json");
}

TEST(SweepSpecTest, ConfigJsonRoundTrips) {
  ExpandedSweep e = expand_sweep(parse_ok(kYaml));
  for (const CompressionConfig& c : e.configs) {
    Result<CompressionConfig> back = config_from_json(config_to_json(c));
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, c);
  }
  Json bad = config_to_json(e.configs[0]);
  bad["method"] = "CopyKV";
  EXPECT_FALSE(config_from_json(bad).ok());
  bad.erase("budget");
  EXPECT_NE(config_from_json(bad).status().message().find("config.budget"), std::string::npos);
}

// Malformed specs: each message names the field path (and the source file).
struct BadSpec {
  const char* label;
  const char* replace;  // substring of kBase to replace
  const char* with;
  const char* expected;  // substring of the error message
};

constexpr const char* kBase = R"(name: bad
model: /m.gguf
benchmarks:
  - {benchmark: longbench, datasets: [qasper], limit: 2}
methods:
  - {method: SnapKV, budgets: [64, 128]}
  - {method: FullKV}
  - {method: HeadKV-R, budgets: [128], betas: [1.5]}
)";

class SweepSpecErrorTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SweepSpecErrorTest, MessageNamesTheField) {
  const BadSpec& bad = GetParam();
  std::string text = kBase;
  size_t at = text.find(bad.replace);
  ASSERT_NE(at, std::string::npos) << bad.replace;
  text.replace(at, std::string(bad.replace).size(), bad.with);
  Result<SweepSpec> spec = parse_sweep_spec(text, "bad.yaml");
  ASSERT_FALSE(spec.ok()) << bad.label;
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find(bad.expected), std::string::npos)
      << bad.label << ": " << spec.status().message();
  EXPECT_EQ(spec.status().message().rfind("bad.yaml: ", 0), 0u) << spec.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Malformed,
    SweepSpecErrorTest,
    ::testing::Values(
        BadSpec{"unknown_method", "method: FullKV", "method: CopyKV",
                "methods[1].method: unknown method 'CopyKV'"},
        BadSpec{"beta_below_one", "betas: [1.5]", "betas: [0.5]",
                "methods[2].betas[0]: beta 0.5 must be >= 1"},
        BadSpec{"missing_model", "model: /m.gguf\n", "", "model: required field is missing"},
        BadSpec{"bad_yaml", "datasets: [qasper]", "datasets: [qasper", "malformed YAML at line"},
        BadSpec{"budget_not_above_window", "budgets: [64, 128]", "budgets: [64, 8]",
                "methods[0].budgets[1]: budget 8 must exceed window 8"},
        BadSpec{"unknown_field", "budgets: [64, 128]", "budget: [64, 128]",
                "methods[0].budget: unknown field"},
        BadSpec{"fullkv_budgets", "method: FullKV", "method: FullKV, budgets: [64]",
                "methods[1].budgets: FullKV does not take budgets"},
        BadSpec{"snapkv_betas", "budgets: [64, 128]}", "budgets: [64, 128], betas: [2]}",
                "methods[0].betas: SnapKV does not take betas"},
        BadSpec{"temp_not_positive", "betas: [1.5]", "betas: [1.5], temps: [0]",
                "methods[2].temps[0]: temp 0 must be > 0"},
        BadSpec{"head_scores_typo", "betas: [1.5]", "betas: [1.5], head_scores: retreival",
                "methods[2].head_scores: 'retreival' is not retrieval"},
        BadSpec{"unknown_benchmark", "benchmark: longbench", "benchmark: longbnch",
                "benchmarks[0].benchmark: unknown benchmark 'longbnch'"},
        BadSpec{"unknown_dataset", "[qasper]", "[qasper, qaspr]",
                "benchmarks[0].datasets[1]: unknown LongBench dataset 'qaspr'"},
        BadSpec{"repeated_dataset", "[qasper]", "[qasper, qasper]",
                "benchmarks[0].datasets[1]: longbench dataset 'qasper' is listed twice"},
        BadSpec{"unknown_size", "datasets: [qasper], limit: 2", "datasets: [computation]",
                "benchmarks[0].datasets[0]: dataset 'computation' has no known size"},
        BadSpec{"wrong_type", "name: bad", "name: bad\npriority: high",
                "priority: expected integer, got string"},
        BadSpec{"bad_dtype", "name: bad", "name: bad\ndtype: fp8", "dtype: unknown dtype 'fp8'"},
        BadSpec{"even_kernel", "name: bad", "name: bad\nkernel: 6", "kernel: 6, expected an odd"},
        BadSpec{"duplicate_key", "name: bad", "name: bad\nname: again", "name: duplicate key"},
        BadSpec{"no_methods",
                "  - {method: SnapKV, budgets: [64, 128]}\n  - {method: FullKV}\n  - {method: "
                "HeadKV-R, budgets: [128], betas: [1.5]}\n",
                "", "methods: at least one method is required"},
        BadSpec{"babilong_split", "{benchmark: longbench, datasets: [qasper], limit: 2}",
                "{benchmark: babilong, datasets: [qa1], splits: [3k]}",
                "benchmarks[0].splits[0]: unknown split '3k'"},
        BadSpec{"needle_limit", "{benchmark: longbench, datasets: [qasper], limit: 2}",
                "{benchmark: needle, lengths: [1000], limit: 2}",
                "benchmarks[0].limit: not a field of needle benchmarks"}),
    [](const ::testing::TestParamInfo<BadSpec>& info) { return std::string(info.param.label); });

TEST(SweepSpecTest, TopLevelMustBeAMapping) {
  Result<SweepSpec> spec = parse_sweep_spec("- a\n- b\n", "list.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("expected a mapping, got array"), std::string::npos)
      << spec.status().message();
  EXPECT_FALSE(parse_sweep_spec("", "empty.yaml").ok());
  EXPECT_FALSE(parse_sweep_spec("{\"name\": ", "broken.json").ok());
}

Result<ExpandedSweep> expand_example(const std::string& name, SweepSpec* spec) {
  std::string path = std::string(HKV_SOURCE_DIR) + "/examples/" + name;
  HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(path));
  HKV_ASSIGN_OR_RETURN(*spec, parse_sweep_spec(text, name));
  return expand_sweep(*spec);
}

TEST(SweepSpecTest, DefaultExampleParses) {
  SweepSpec spec;
  Result<ExpandedSweep> e = expand_example("default_sweep.yaml", &spec);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_TRUE(spec.model.ends_with("/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf"));
  EXPECT_NE(spec.model[0], '~');
  ASSERT_EQ(e->configs.size(), 4u);  // FullKV, SnapKV, Ada-SnapKV, HeadKV-R
  EXPECT_STREQ(compression::method_name(e->configs[3].method), "HeadKV-R");
  EXPECT_EQ(e->configs[3].beta, 1.01);
  EXPECT_EQ(e->configs[3].head_scores, "retrieval");
  EXPECT_EQ(e->units.size(), 6u + 6u + 1u);  // needle 2x3, BABILong 2x3, multi_news 1
}

TEST(SweepSpecTest, PaperExamplesParse) {
  for (const char* name : {"llama3_8b_paper.yaml", "mistral_7b_paper.yaml"}) {
    SweepSpec spec;
    Result<ExpandedSweep> e = expand_example(name, &spec);
    ASSERT_TRUE(e.ok()) << name << ": " << e.status().to_string();
    // FullKV + 3 baselines x 5 budgets + 2 HeadKV x 5 budgets x 8 betas.
    EXPECT_EQ(e->configs.size(), 1u + 15u + 80u) << name;
    size_t datasets = 0;
    for (const BenchmarkSpec& b : spec.benchmarks) {
      datasets += b.datasets.size();
    }
    EXPECT_EQ(datasets, 10u) << name;
    EXPECT_EQ(e->units.size(), 1150u + 4u * 100u) << name;
  }
}

}  // namespace
}  // namespace hkv::jobs
