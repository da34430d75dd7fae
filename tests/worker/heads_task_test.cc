// Head detection as sweep work on the real default model (SmolLM2, CPU): running every unit of a
// heads block through TaskRunner and appending the kept tests' scores in unit order gives exactly
// the score file `heads detect` (detect_heads) writes for the same grid; bad units fail with
// errors naming the problem. The haystack is written by the test (three needles, three parts).
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "benchmarks/needle.h"
#include "common/strings.h"
#include "head_scores/score_file.h"
#include "jobs/heads_spec.h"
#include "model/engine.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "tokenizer/model_files.h"
#include "worker/head_detect.h"
#include "worker/task_runner.h"
#include "worker/tokenizer_adapter.h"

namespace hkv::worker {
namespace {

// <root>/haystack_for_detect: needles.jsonl with `needles` needles and part1..partN essays.
std::string write_haystack(const hkv::testing::TempDir& dir, int needles) {
  namespace fs = std::filesystem;
  std::string folder = dir.path() + "/haystack_for_detect";
  const char* facts[][3] = {
      {" The secret ingredient of the harvest soup is smoked paprika from Szeged.",
       "What is the secret ingredient of the harvest soup?",
       "The secret ingredient of the harvest soup is smoked paprika from Szeged."},
      {" The lighthouse keeper named his cat Admiral Biscuit.",
       "What did the lighthouse keeper name his cat?",
       "The lighthouse keeper named his cat Admiral Biscuit."},
      {" The password for the north gate is blue heron.",
       "What is the password for the north gate?",
       "The password for the north gate is blue heron."},
  };
  fs::create_directories(folder);
  std::ofstream jsonl(folder + "/needles.jsonl");
  for (int k = 0; k < needles; ++k) {
    jsonl << dump_json(Json{
                 {"needle", facts[k][0]}, {"question", facts[k][1]}, {"real_needle", facts[k][2]}})
          << "\n";
    std::string part = folder + "/part" + std::to_string(k + 1);
    fs::create_directories(part);
    std::ofstream essay(part + "/essay.txt");
    for (int i = 0; i < 60; ++i) {
      essay << "On day " << i + 3 * k << " the river rose past the old mill, and the town of "
            << (k == 0   ? "Alder"
                : k == 1 ? "Birch"
                         : "Cedar")
            << " waited for the rain to stop. ";
    }
  }
  return dir.path();
}

constexpr int kNeedles = 2;
constexpr int kSteps = 10;

jobs::BenchmarkSpec heads_block(const std::string& root) {
  jobs::BenchmarkSpec b;
  b.benchmark = jobs::Benchmark::kHeads;
  b.datasets = {jobs::kHeadsRetrieval};
  b.needle_lengths_tokens = {0, 420};
  b.needle_depths_percent = {0, 50};
  b.heads_haystack_root = root;
  b.heads_needles = kNeedles;
  b.heads_min_score = -1.0;  // keep every test whose span is found
  b.heads_max_decode_steps = kSteps;
  return b;
}

jobs::CompressionConfig detection_config() {
  return compression::neutral_config(compression::Method::kFullKv);
}

TEST(HeadsTaskTest, SweepUnitsReproduceDetectHeadsByteForByte) {
  std::string model_path = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model_path, "run scripts/fetch-assets.sh");
  hkv::testing::TempDir dir;
  std::string root = write_haystack(dir, kNeedles);

  // The reference loop, as `headkv heads detect` runs it.
  auto source = model::ModelSource::open(model_path);
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  model::EngineOptions eo;
  eo.device = "cpu";
  auto engine = model::load_engine(*source, eo);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  auto tok = model::load_tokenizer(model_path);
  ASSERT_TRUE(tok.ok());
  auto family = model::chat_family_for(*tok, model_path, std::nullopt);
  ASSERT_TRUE(family.ok());
  TokenizerAdapter adapter(&*tok);
  auto periods = jobs::derive_period_ids(adapter);
  ASSERT_TRUE(periods.ok());
  DetectOptions d;
  d.kind = head_scores::DetectionKind::kRetrieval;
  d.success = detection_success_score(d.kind);
  d.haystack_dir = root + "/haystack_for_detect";
  d.lengths = {0, 420};
  d.depths = {0, 50};
  d.max_decode_steps = kSteps;
  d.min_score = -1.0;
  set_detection_prompting(&d, &*tok, *family, *periods);
  auto decoder = (*engine)->observed_decoder();
  auto report = detect_heads(*decoder, *tok, d);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->tests_run, kNeedles * 2 * 2);
  EXPECT_GT(report->tests_succeeded, 0);

  // The same grid as sweep units through a worker's TaskRunner.
  std::vector<jobs::WorkUnit> units;
  jobs::expand_heads_block(heads_block(root), &units);
  ASSERT_EQ(units.size(), static_cast<size_t>(kNeedles * 2 * 2));
  RunnerOptions ro;
  ro.engine.device = "cpu";
  TaskRunner runner(ro);
  const model::LlamaConfig& c = (*engine)->config();
  std::vector<std::vector<double>> lists(static_cast<size_t>(c.num_layers) * c.num_q_heads);
  int kept = 0;
  for (const jobs::WorkUnit& u : units) {
    auto out = runner.run({model_path, u, {detection_config()}, 0});
    ASSERT_TRUE(out.ok()) << u.sample_key << ": " << out.status().to_string();
    ASSERT_EQ(out->configs.size(), 1u);
    const ConfigOutcome& oc = out->configs[0];
    ASSERT_TRUE(oc.head_scores.has_value());
    EXPECT_EQ(oc.head_scores->num_layers, c.num_layers);
    EXPECT_EQ(oc.head_scores->num_heads, c.num_q_heads);
    EXPECT_GT(oc.new_tokens, 0);
    EXPECT_LE(oc.new_tokens, kSteps);
    EXPECT_EQ(oc.cache_entries,
              (out->run.prompt_tokens - 1 + oc.new_tokens) * c.num_layers * c.num_kv_heads);
    if (oc.head_scores->kept) {
      ++kept;
      for (size_t i = 0; i < lists.size(); ++i) {
        lists[i].push_back(oc.head_scores->scores[i]);
      }
    }
  }
  EXPECT_EQ(runner.prefills(), static_cast<int64_t>(units.size()));
  EXPECT_EQ(kept, report->tests_succeeded);
  auto table = head_scores::make_score_table(c.num_layers, c.num_q_heads, std::move(lists));
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(head_scores::format_score_json(*table), head_scores::format_score_json(report->table));
}

TEST(HeadsTaskTest, BadUnitsFailNamingTheProblem) {
  std::string model_path = hkv::testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(model_path, "run scripts/fetch-assets.sh");
  hkv::testing::TempDir dir;
  std::string root = write_haystack(dir, kNeedles);
  RunnerOptions ro;
  ro.engine.device = "cpu";
  TaskRunner runner(ro);
  std::vector<jobs::WorkUnit> units;
  jobs::expand_heads_block(heads_block(root), &units);
  jobs::WorkUnit u = units[0];

  auto two = runner.run({model_path, u, {detection_config(), detection_config()}, 0});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("exactly one FullKV config"), std::string::npos);

  jobs::BenchmarkSpec three = heads_block(root);
  three.heads_needles = 3;  // the folder holds 2
  std::vector<jobs::WorkUnit> more;
  jobs::expand_heads_block(three, &more);
  auto mismatch = runner.run({model_path, more[0], {detection_config()}, 0});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(mismatch.status().message().find("holds 2 needles; the sweep expects 3"),
            std::string::npos)
      << mismatch.status().message();

  jobs::WorkUnit bad_key = u;
  bad_key.sample_key = "0:420";
  EXPECT_FALSE(runner.run({model_path, bad_key, {detection_config()}, 0}).ok());
  jobs::WorkUnit bad_kind = u;
  bad_kind.dataset = "retrieval-heads";
  auto kind = runner.run({model_path, bad_kind, {detection_config()}, 0});
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.status().message().find("retrieval-heads"), std::string::npos);
  jobs::WorkUnit no_dir = u;
  no_dir.options = jobs::heads_options_to_json({dir.path() + "/nowhere", 2, 420, 50.0, 10, 0});
  auto missing = runner.run({model_path, no_dir, {detection_config()}, 0});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nowhere"), std::string::npos);
}

}  // namespace
}  // namespace hkv::worker
