// The CPU engine against transformers (goldens from tools/reference/make_logits_goldens.py):
// logits within 1e-3 relative (max |diff| / max |ref| per position) and 32 greedy tokens equal,
// for a closed-form tiny model (both tie modes) and for SmolLM2-135M-Instruct (Q4_1 GGUF).
#include "cpu_engine/cpu_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <gtest/gtest.h>

#include "common/json.h"
#include "cpu_engine/generate.h"
#include "cpu_engine/kv_compressor.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

constexpr double kRelTol = 1e-3;

std::vector<int32_t> greedy_full_kv(const CpuModel& model, const std::vector<int32_t>& ids, int n) {
  CompressionConfig full;
  GenerationConfig gen;
  gen.max_new_tokens = n;
  auto run = generate_multi(model, ids, {full}, {{}}, gen);
  EXPECT_TRUE(run.ok()) << run.status().to_string();
  return run.ok() ? run->runs[0].tokens : std::vector<int32_t>();
}

TEST(CpuModelTest, TinyModelMatchesTransformers) {
  auto golden = read_json_file(testing::golden_path("logits/tiny.json"));
  ASSERT_TRUE(golden.ok()) << golden.status().to_string();
  for (bool tie : {false, true}) {
    testing::TempDir dir;
    testing::TinyModelOptions o;
    o.formula_weights = true;
    o.tie_embeddings = tie;
    testing::TinyModel m = testing::write_tiny_model(dir.path(), o);
    for (const std::string& path : {m.hf_dir, m.gguf_path}) {
      auto source = ModelSource::open(path);
      ASSERT_TRUE(source.ok()) << source.status().to_string();
      auto model = CpuModel::load(*source);
      ASSERT_TRUE(model.ok()) << model.status().to_string();
      for (const Json& c : (*golden)["cases"]) {
        if (c["tie"].get<bool>() != tie) {
          continue;
        }
        std::vector<int32_t> ids = c["ids"].get<std::vector<int32_t>>();
        auto out = model->prefill(ids, 8, /*all_logits=*/true);
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        const int V = o.vocab;
        for (size_t t = 0; t < ids.size(); ++t) {
          const Json& row = c["logits"][t];
          double max_ref = 0, max_diff = 0;
          for (int i = 0; i < V; ++i) {
            double ref = row[i].get<double>();
            max_ref = std::max(max_ref, std::abs(ref));
            max_diff = std::max(max_diff, std::abs(out->all_logits[t * V + i] - ref));
          }
          ASSERT_LE(max_diff / max_ref, kRelTol) << path << " position " << t;
        }
        EXPECT_EQ(greedy_full_kv(*model, ids, 32), c["greedy"].get<std::vector<int32_t>>()) << path;
      }
    }
  }
}

TEST(CpuModelTest, SmolLm2MatchesTransformers) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto golden = read_json_file(testing::golden_path("logits/smollm2.json"));
  ASSERT_TRUE(golden.ok());
  auto source = ModelSource::open(path);
  ASSERT_TRUE(source.ok());
  auto model = CpuModel::load(*source);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  for (const Json& c : (*golden)["cases"]) {
    std::vector<int32_t> ids = c["ids"].get<std::vector<int32_t>>();
    auto out = model->prefill(ids, 8, false);
    ASSERT_TRUE(out.ok());
    double max_abs = c["max_abs"].get<double>(), max_diff = 0;
    for (size_t k = 0; k < c["top_ids"].size(); ++k) {
      int id = c["top_ids"][k].get<int>();
      max_diff =
          std::max(max_diff, std::abs(out->last_logits[id] - c["top_logits"][k].get<double>()));
    }
    EXPECT_LE(max_diff / max_abs, kRelTol) << c["text"];
    EXPECT_EQ(greedy_full_kv(*model, ids, 32), c["greedy"].get<std::vector<int32_t>>())
        << c["text"];
  }
}

// The default tiny model (random weights, GGUF), written to `dir` and loaded.
Result<CpuModel> load_tiny(const testing::TempDir& dir) {
  testing::TinyModel m = testing::write_tiny_model(dir.path(), {});
  HKV_ASSIGN_OR_RETURN(ModelSource source, ModelSource::open(m.gguf_path));
  return CpuModel::load(source);
}

TEST(CpuModelTest, CancelStopsBetweenDecodeSteps) {
  testing::TempDir dir;
  auto model = load_tiny(dir);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  std::atomic<bool> cancel{false};
  GenerationConfig gen;
  gen.max_new_tokens = 32;
  gen.cancel = &cancel;
  CompressionConfig full;
  int tokens = 0;
  // Cancelled while the third token is produced: no fourth decode step runs.
  auto run = generate_multi(*model, std::vector<int32_t>{1, 2, 3, 4, 5}, {full, full}, {{}, {}},
                            gen, [&](size_t config, int32_t) {
                              if (config == 0 && ++tokens == 3) {
                                cancel = true;
                              }
                            });
  ASSERT_EQ(run.status().code(), StatusCode::kCancelled) << run.status().to_string();
  EXPECT_NE(run.status().message().find("between decode steps (decode step 3)"), std::string::npos)
      << run.status().message();
  EXPECT_EQ(tokens, 3);
  // Set before the call: nothing runs, not even the prefill.
  auto early = generate_multi(*model, std::vector<int32_t>{1, 2, 3}, {full}, {{}}, gen);
  EXPECT_EQ(early.status().code(), StatusCode::kCancelled);
  EXPECT_NE(early.status().message().find("before the prefill"), std::string::npos);
}

// --trace: the kept positions it reports are the engine's own kept sets, layer by layer, and the
// top-10 logits lead with the token the first decode step chose.
TEST(CpuModelTest, TraceReportsTheEnginesKeptSetsAndFirstLogits) {
  testing::TempDir dir;
  auto model = load_tiny(dir);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const LlamaConfig& c = model->config();
  std::vector<int32_t> prompt;
  for (int i = 0; i < 40; ++i) {
    prompt.push_back(1 + (i * 7) % (c.vocab_size - 1));
  }
  CompressionConfig snap;
  snap.method = Method::kSnapKv;
  snap.budget = 16;
  CompressionConfig head = snap;
  head.method = Method::kHeadKvR;
  head.head_scores = "retrieval";
  std::vector<int32_t> caps;  // reference layout: per (layer, query head)
  for (int32_t i = 0; i < c.num_layers * c.num_q_heads; ++i) {
    caps.push_back(2 + i % 9);
  }
  std::vector<ConfigTrace> trace;
  GenerationConfig gen;
  gen.max_new_tokens = 4;
  gen.trace = &trace;
  auto run = generate_multi(*model, prompt, {snap, head}, {{}, caps}, gen);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(trace.size(), 2u);
  auto prefill = model->prefill(prompt, snap.window, false);
  ASSERT_TRUE(prefill.ok());
  for (size_t i = 0; i < 2; ++i) {
    const CompressionConfig& cc = i == 0 ? snap : head;
    ASSERT_EQ(trace[i].kept.size(), static_cast<size_t>(c.num_layers));
    int64_t entries = 0;
    for (int32_t l = 0; l < c.num_layers; ++l) {
      std::span<const int32_t> layer_caps;
      if (i == 1) {
        layer_caps =
            std::span<const int32_t>(caps).subspan(size_t(l) * c.num_q_heads, c.num_q_heads);
      }
      auto expected =
          select_positions(prefill->layers[l], c, cc, l, static_cast<int64_t>(prompt.size()),
                           prefill->window_rows, layer_caps, gen.fp16_scores);
      EXPECT_EQ(trace[i].kept[l], expected) << cc.label() << " layer " << l;
      for (const auto& segment : trace[i].kept[l]) {
        entries += static_cast<int64_t>(segment.size());
      }
    }
    EXPECT_EQ(entries, run->runs[i].cache_entries) << cc.label();
    ASSERT_EQ(trace[i].first_decode_top10.size(), 10u);
    EXPECT_EQ(trace[i].first_decode_top10[0].first, run->runs[i].tokens[1]) << cc.label();
    for (size_t k = 1; k < 10; ++k) {
      EXPECT_GE(trace[i].first_decode_top10[k - 1].second, trace[i].first_decode_top10[k].second);
    }
  }
  // HeadKV keeps each head's capacity plus the window.
  EXPECT_EQ(trace[1].kept[0][0].size(), static_cast<size_t>(caps[0] + head.window));
}

TEST(CpuModelTest, GreedyTokenIsTheFirstLargestLogitThatIsNotBanned) {
  const std::vector<float> logits = {0.5f, 3.0f, -1.0f, 3.0f, 2.0f, 3.0f};
  EXPECT_EQ(greedy_token(logits, {}), 1);  // ties go to the lowest id
  const std::vector<int32_t> ban1 = {1};
  EXPECT_EQ(greedy_token(logits, ban1), 3);  // the next tie
  const std::vector<int32_t> ban3 = {1, 3, 5};
  EXPECT_EQ(greedy_token(logits, ban3), 4);
  const std::vector<int32_t> ban_first = {0};
  const std::vector<float> falling = {9.0f, 8.0f, 7.0f};
  EXPECT_EQ(greedy_token(falling, ban_first), 1);  // a banned first token never becomes the best
  const std::vector<int32_t> all = {0, 1, 2};
  EXPECT_EQ(greedy_token(falling, all), -1);
  EXPECT_EQ(greedy_token({}, {}), -1);
}

TEST(CpuModelTest, RejectsBadTokens) {
  testing::TempDir dir;
  testing::TinyModel m = testing::write_tiny_model(dir.path(), {});
  auto source = ModelSource::open(m.hf_dir);
  ASSERT_TRUE(source.ok());
  auto model = CpuModel::load(*source);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->prefill(std::vector<int32_t>{}, 8, false).status().code(),
            StatusCode::kInvalidArgument);
  Status st = model->prefill(std::vector<int32_t>{1, 999}, 8, false).status();
  EXPECT_NE(st.message().find("999"), std::string::npos);
}

}  // namespace
}  // namespace hkv::model
