// Heads blocks in sweep specs: parsing with defaults, errors naming the field, expansion into one
// unit per needle test in detect order with the block's settings, the FullKV detection config, and
// the JSON forms of unit settings and per-head test scores.
#include "jobs/heads_spec.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/mapped_file.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {
namespace {

Result<SweepSpec> parse(std::string_view text) {
  return parse_sweep_spec(text, "heads.yaml");
}

std::string error_of(std::string_view text) {
  Result<SweepSpec> spec = parse(text);
  EXPECT_FALSE(spec.ok()) << "accepted:\n" << text;
  return spec.ok() ? "" : spec.status().message();
}

constexpr const char* kHeadsOnly = R"(
name: smol-heads
model: /models/smol.gguf
benchmarks:
  - benchmark: heads
    datasets: [retrieval, retrieval-reasoning]
    lengths: [0, 500]
    depths: 2
    min_score: -1
    reasoning_steps: 12
    haystack_dir: /data/retrieval_haystack
)";

TEST(HeadsSpecTest, HeadsOnlySweepNeedsNoMethodsAndExpandsPerTest) {
  Result<SweepSpec> spec = parse(kHeadsOnly);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  ASSERT_EQ(spec->benchmarks.size(), 1u);
  const BenchmarkSpec& b = spec->benchmarks[0];
  EXPECT_EQ(b.benchmark, Benchmark::kHeads);
  EXPECT_EQ(b.needle_lengths_tokens, (std::vector<int32_t>{0, 500}));
  EXPECT_EQ(b.needle_depths_percent, (std::vector<int32_t>{0, 100}));
  EXPECT_DOUBLE_EQ(b.heads_min_score, -1.0);
  EXPECT_EQ(b.heads_max_decode_steps, 50);
  EXPECT_TRUE(spec->methods.empty());

  ExpandedSweep e = expand_sweep(*spec);
  EXPECT_TRUE(e.configs.empty());
  // 3 retrieval needles x 2 lengths x 2 depths, then 2 reasoning needles x 4.
  ASSERT_EQ(e.units.size(), 12u + 8u);
  EXPECT_EQ(e.units[0].sample_key, "0:0:0");
  EXPECT_EQ(e.units[1].sample_key, "0:0:100");
  EXPECT_EQ(e.units[2].sample_key, "0:500:0");
  EXPECT_EQ(e.units[4].sample_key, "1:0:0");  // needle-major, as `heads detect` runs them
  EXPECT_EQ(e.units[11].dataset, "retrieval");
  EXPECT_EQ(e.units[12].dataset, "retrieval-reasoning");
  EXPECT_EQ(e.units[19].sample_key, "1:500:100");

  auto r = heads_options_from_json(e.units[0].options, "unit 0");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->needles, 3);
  EXPECT_EQ(r->haystack_words, 500);  // the block's longest length
  EXPECT_EQ(r->haystack_root, "/data/retrieval_haystack");
  EXPECT_EQ(r->reasoning_steps, 12);
  auto r2 = heads_options_from_json(e.units[12].options, "unit 12");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->needles, 2);

  // A heads unit decodes one FullKV sequence, whatever the grid.
  std::vector<CompressionConfig> configs = e.configs_for(e.units[0]);
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_STREQ(compression::method_name(configs[0].method), "FullKV");
  EXPECT_EQ(configs[0].budget, 0);
}

TEST(HeadsSpecTest, DefaultsAreTheReferenceGrid) {
  Result<SweepSpec> spec = parse("name: h\nmodel: m\nbenchmarks: [{benchmark: heads}]\n");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  const BenchmarkSpec& b = spec->benchmarks[0];
  EXPECT_EQ(b.datasets, std::vector<std::string>{"retrieval"});
  EXPECT_EQ(b.needle_lengths_tokens, (std::vector<int32_t>{0, 2500, 5000, 7500, 10000}));
  EXPECT_EQ(b.needle_depths_percent,
            (std::vector<int32_t>{0, 11, 22, 33, 44, 56, 67, 78, 89, 100}));
  EXPECT_DOUBLE_EQ(b.heads_min_score, 50.0);
  EXPECT_EQ(expand_sweep(*spec).units.size(), 3u * 5 * 10);
  // {start, stop, count} is the reference's round(linspace(s, e, count)).
  spec = parse(
      "name: h\nmodel: m\nbenchmarks: [{benchmark: heads, lengths: {start: 0, stop: 1000, count: "
      "3}, depths: [50]}]\n");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  EXPECT_EQ(spec->benchmarks[0].needle_lengths_tokens, (std::vector<int32_t>{0, 500, 1000}));
}

TEST(HeadsSpecTest, MixedSweepsGiveHeadsUnitsOnlyTheDetectionConfig) {
  Result<SweepSpec> spec = parse(R"(
name: mixed
model: m
benchmarks:
  - {benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}
  - {benchmark: heads, lengths: [0], depths: [50], needles: 1}
methods:
  - {method: SnapKV, budgets: [64, 128]}
)");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  ExpandedSweep e = expand_sweep(*spec);
  ASSERT_EQ(e.units.size(), 2u);
  EXPECT_EQ(e.configs_for(e.units[0]).size(), 2u);
  EXPECT_EQ(e.units[0].options, "");
  ASSERT_EQ(e.configs_for(e.units[1]).size(), 1u);
  EXPECT_STREQ(compression::method_name(e.configs_for(e.units[1])[0].method), "FullKV");
  EXPECT_EQ(e.units[1].sample_key, "0:0:50");
}

TEST(HeadsSpecTest, ErrorsNameTheField) {
  const std::string head = "name: h\nmodel: m\nbenchmarks:\n  - benchmark: heads\n";

  struct Case {
    std::string extra;
    std::string expected;
  };

  const Case cases[] = {
      {"    datasets: [retrival]\n", "benchmarks[0].datasets[0]: unknown detection kind"},
      {"    lengths: [500, 0]\n", "benchmarks[0].lengths[1]: length 0"},
      {"    lengths: [-5]\n", "benchmarks[0].lengths[0]"},
      {"    lengths: {start: 0, stop: 0, count: 5}\n", "benchmarks[0].lengths"},
      {"    depths: [50, 50]\n", "benchmarks[0].depths[1]"},
      {"    min_score: 101\n", "benchmarks[0].min_score: 101"},
      {"    needles: 0\n", "benchmarks[0].needles: 0"},
      {"    max_decode_steps: 0\n", "benchmarks[0].max_decode_steps"},
      {"    reasoning_steps: -1\n", "benchmarks[0].reasoning_steps"},
      {"    limit: 3\n", "benchmarks[0].limit: not a field of heads"},
      {"    splits: [0k]\n", "benchmarks[0].splits: not a field of heads"},
      {"    needle: 2\n", "benchmarks[0].needle: unknown field"},
  };
  for (const Case& c : cases) {
    std::string message = error_of(head + c.extra);
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.extra << " -> " << message;
  }
  // Heads fields stay out of the other benchmarks, and those still need methods.
  EXPECT_NE(error_of("name: h\nmodel: m\nbenchmarks: [{benchmark: babilong, datasets: [qa1], "
                     "splits: [0k], min_score: 3}]\nmethods: [{method: FullKV}]\n")
                .find("benchmarks[0].min_score: not a field of babilong"),
            std::string::npos);
  EXPECT_NE(error_of("name: h\nmodel: m\nbenchmarks: [{benchmark: babilong, datasets: [qa1], "
                     "splits: [0k]}]\n")
                .find("methods: at least one method is required"),
            std::string::npos);
  EXPECT_NE(error_of("name: h\nmodel: m\nbenchmarks: [{benchmark: heads}, {benchmark: heads}]\n")
                .find("benchmarks[1].datasets[0]: heads dataset 'retrieval' is listed twice"),
            std::string::npos);
}

TEST(HeadsSpecTest, TestKeysRoundTripAndRejectGarbage) {
  HeadsTestKey k{2, 7500, 89};
  EXPECT_EQ(heads_test_key(k), "2:7500:89");
  auto back = parse_heads_test_key("2:7500:89");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, k);
  for (const char* bad : {"2:7500", "a:1:2", "1:2:3:4", "1:-2:3", "1:2:101", "1:2:3x"}) {
    auto r = parse_heads_test_key(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
  EXPECT_LT((HeadsTestKey{0, 5000, 0}), (HeadsTestKey{1, 0, 0}));  // needle-major order
}

TEST(HeadsSpecTest, OptionsAndScoresJsonRoundTripExactly) {
  HeadsUnitOptions o{"/h", 3, 10000, 50.0, 50, 0};
  auto back = heads_options_from_json(heads_options_to_json(o), "o");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, o);
  auto bad = heads_options_from_json(R"({"haystack_root": "", "needles": 0, "haystack_words": 1,
      "min_score": 50, "max_decode_steps": 50, "reasoning_steps": 0})",
                                     "task 9 options");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("task 9 options"), std::string::npos);
  EXPECT_FALSE(heads_options_from_json(R"({"needles": 3})", "o").ok());

  // Doubles survive the store's JSON bit for bit (the score file must not change).
  HeadTestScores s{2, 2, {0.1, 1.0 / 3.0, 1.8799999999999999, 5e-324}, true, true};
  auto s2 = head_test_scores_from_json(head_test_scores_to_json(s), "s");
  ASSERT_TRUE(s2.ok()) << s2.status().to_string();
  EXPECT_EQ(*s2, s);
  s.scores.pop_back();
  auto short_scores = head_test_scores_from_json(head_test_scores_to_json(s), "row 4");
  EXPECT_FALSE(short_scores.ok());
  EXPECT_NE(short_scores.status().message().find("3 scores for 2 layers x 2 heads"),
            std::string::npos)
      << short_scores.status().message();
}

TEST(HeadsSpecTest, SmolLm2ExampleIsTheShippedGrid) {
  auto text = read_file_to_string(std::string(HKV_SOURCE_DIR) + "/examples/smollm2_heads.yaml");
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  Result<SweepSpec> spec = parse(*text);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  EXPECT_EQ(spec->dtype, "bf16");
  ExpandedSweep e = expand_sweep(*spec);
  EXPECT_EQ(e.units.size(), 150u + 100u);  // head_scores/data/PROVENANCE.md's two grids
  auto r2 = heads_options_from_json(e.units.back().options, "last unit");
  ASSERT_TRUE(r2.ok());
  EXPECT_DOUBLE_EQ(r2->min_score, -1.0);
  EXPECT_EQ(r2->haystack_words, 2000);
}

}  // namespace
}  // namespace hkv::jobs
