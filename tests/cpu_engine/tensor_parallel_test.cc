// Tensor parallelism on the CPU engine (M11): TP = 2 and 4 over the in-process group, with
// contiguous and shuffled head placements, against the whole model on a tiny random Llama (8 query
// / 4 KV heads, a vocabulary that does not divide by the ranks): logits within fp32 rounding,
// identical kept positions, cache sizes and greedy tokens for every method and both layouts.
#include "cpu_engine/tensor_parallel.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

using Order = std::vector<std::vector<int32_t>>;

class TensorParallelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TinyModelOptions o;
    o.layers = 3;
    o.heads = 8;
    o.kv_heads = 4;
    o.ffn = 96;
    o.vocab = 157;
    o.seed = 7;
    model_ = testing::write_tiny_model(dir_.path(), o);
    auto source = ModelSource::open(model_.hf_dir);
    ASSERT_TRUE(source.ok()) << source.status().to_string();
    auto cpu = CpuModel::load(*source);
    ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
    full_ = std::make_unique<CpuModel>(std::move(cpu).value());
    prompt_.resize(120);
    for (size_t i = 0; i < prompt_.size(); ++i) {
      prompt_[i] = 3 + static_cast<int32_t>((i * 31 + i * i) % 150);
    }
  }

  const LlamaConfig& cfg() const { return full_->config(); }

  Order contiguous() const {
    Order order(cfg().num_layers, std::vector<int32_t>(cfg().num_kv_heads));
    for (auto& layer : order) {
      for (int32_t h = 0; h < cfg().num_kv_heads; ++h) {
        layer[h] = h;
      }
    }
    return order;
  }

  Order shuffled(uint32_t seed) const {
    Order order = contiguous();
    std::mt19937 rng(seed);
    for (auto& layer : order) {
      std::shuffle(layer.begin(), layer.end(), rng);
    }
    return order;
  }

  // Every method in both layouts, HeadKV with uneven capacities.
  void all_configs(std::vector<CompressionConfig>* configs,
                   std::vector<std::vector<int32_t>>* caps) const {
    for (CacheLayout layout : {CacheLayout::kReference, CacheLayout::kGqa}) {
      for (Method m : {Method::kFullKv, Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv,
                       Method::kHeadKvR, Method::kHeadKvR2}) {
        CompressionConfig cc{.method = m, .budget = 24, .head_scores = "x", .layout = layout};
        configs->push_back(cc);
        std::vector<int32_t> c;
        if (uses_head_scores(m)) {
          int32_t segs = layout == CacheLayout::kGqa ? cfg().num_kv_heads : cfg().num_q_heads;
          c.resize(cfg().num_layers * segs);
          for (size_t i = 0; i < c.size(); ++i) {
            c[i] = 4 + static_cast<int32_t>((i * 7) % 23);
          }
        }
        caps->push_back(std::move(c));
      }
    }
  }

  testing::TempDir dir_;
  testing::TinyModel model_;
  std::unique_ptr<CpuModel> full_;
  std::vector<int32_t> prompt_;
};

TEST_F(TensorParallelTest, PrefillLogitsMatchTheWholeModel) {
  auto whole = full_->prefill(prompt_, 8, true);
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  for (int32_t ranks : {2, 4}) {
    for (const Order& order : {contiguous(), shuffled(ranks)}) {
      auto tp = TpCpuModel::split(*full_, order, ranks);
      ASSERT_TRUE(tp.ok()) << tp.status().to_string();
      std::vector<Result<PrefillOutput>> out(ranks, Result<PrefillOutput>(PrefillOutput{}));
      std::vector<std::thread> threads;
      for (int32_t r = 0; r < ranks; ++r) {
        threads.emplace_back([&, r] { out[r] = (*tp)->rank_model(r).prefill(prompt_, 8, true); });
      }
      for (auto& t : threads) {
        t.join();
      }
      for (int32_t r = 0; r < ranks; ++r) {
        ASSERT_TRUE(out[r].ok()) << out[r].status().to_string();
        // The logits are gathered: every rank holds the same, whole vocabulary.
        EXPECT_EQ(out[r]->all_logits, out[0]->all_logits) << "rank " << r;
        ASSERT_EQ(out[r]->layers[0].k.size(), whole->layers[0].k.size() / ranks);
      }
      ASSERT_EQ(out[0]->all_logits.size(), whole->all_logits.size());
      float worst = 0.0f;
      for (size_t i = 0; i < whole->all_logits.size(); ++i) {
        const float want = whole->all_logits[i];
        worst = std::max(worst, std::fabs(out[0]->all_logits[i] - want) / (1.0f + std::fabs(want)));
      }
      EXPECT_LT(worst, 2e-5f) << "TP=" << ranks;
      EXPECT_EQ(out[0]->last_logits.size(), static_cast<size_t>(cfg().vocab_size));
    }
  }
}

TEST_F(TensorParallelTest, KeptPositionsAndTokensMatchForEveryMethod) {
  std::vector<CompressionConfig> configs;
  std::vector<std::vector<int32_t>> caps;
  all_configs(&configs, &caps);
  GenerationConfig gen;
  gen.max_new_tokens = 8;
  std::vector<ConfigTrace> want_trace;
  gen.trace = &want_trace;
  auto want = generate_multi(*full_, prompt_, configs, caps, gen);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  for (int32_t ranks : {2, 4}) {
    for (const Order& order : {contiguous(), shuffled(10 + ranks)}) {
      auto tp = TpCpuModel::split(*full_, order, ranks);
      ASSERT_TRUE(tp.ok()) << tp.status().to_string();
      std::vector<ConfigTrace> trace;
      gen.trace = &trace;
      auto got = (*tp)->generate(prompt_, configs, caps, gen);
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      ASSERT_EQ(got->runs.size(), configs.size());
      for (size_t i = 0; i < configs.size(); ++i) {
        const std::string what = configs[i].label() + " TP=" + std::to_string(ranks);
        EXPECT_EQ(trace[i].kept, want_trace[i].kept) << what;
        EXPECT_EQ(got->runs[i].tokens, want->runs[i].tokens) << what;
        EXPECT_EQ(got->runs[i].cache_entries, want->runs[i].cache_entries) << what;
        for (size_t l = 0; l < want->runs[i].layers.size(); ++l) {
          EXPECT_EQ(got->runs[i].layers[l].entries, want->runs[i].layers[l].entries) << what;
          EXPECT_EQ(got->runs[i].layers[l].min_head, want->runs[i].layers[l].min_head) << what;
          EXPECT_EQ(got->runs[i].layers[l].max_head, want->runs[i].layers[l].max_head) << what;
        }
        // The first decode step's logits (after the compressed cache): same ids, fp32 rounding.
        ASSERT_EQ(trace[i].first_decode_top10.size(), want_trace[i].first_decode_top10.size());
        for (size_t k = 0; k < trace[i].first_decode_top10.size(); ++k) {
          EXPECT_EQ(trace[i].first_decode_top10[k].first, want_trace[i].first_decode_top10[k].first)
              << what;
          EXPECT_NEAR(trace[i].first_decode_top10[k].second,
                      want_trace[i].first_decode_top10[k].second, 1e-4)
              << what;
        }
      }
    }
  }
}

TEST_F(TensorParallelTest, AFailedCallLeavesTheModelUsable) {
  auto tp = TpCpuModel::split(*full_, shuffled(3), 2);
  ASSERT_TRUE(tp.ok());
  std::vector<CompressionConfig> configs = {
      CompressionConfig{.method = Method::kAdaSnapKv, .budget = 24}};
  GenerationConfig gen;
  gen.max_new_tokens = 3;
  std::vector<int32_t> bad = prompt_;
  bad[5] = cfg().vocab_size + 3;
  auto failed = (*tp)->generate(bad, configs, {{}}, gen);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("outside the vocab"), std::string::npos);
  auto wrong_caps = (*tp)->generate(
      prompt_, {CompressionConfig{.method = Method::kHeadKvR, .budget = 24, .head_scores = "x"}},
      {{1, 2, 3}}, gen);
  ASSERT_FALSE(wrong_caps.ok());
  EXPECT_NE(wrong_caps.status().message().find("3 head capacities, expected 3 layers x 8 query"),
            std::string::npos)
      << wrong_caps.status().to_string();
  auto ok = (*tp)->generate(prompt_, configs, {{}}, gen);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  auto whole = generate_multi(*full_, prompt_, configs, {{}}, gen);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(ok->runs[0].tokens, whole->runs[0].tokens);
}

TEST_F(TensorParallelTest, LayoutsThatCannotSplitAreRejected) {
  auto three = TpCpuModel::split(*full_, contiguous(), 3);
  ASSERT_FALSE(three.ok());
  EXPECT_NE(three.status().message().find("the 4 KV heads and the FFN width 96 must both divide"),
            std::string::npos)
      << three.status().to_string();
  Order twice = contiguous();
  twice[1] = {0, 0, 2, 3};
  auto dup = TpCpuModel::split(*full_, twice, 2);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("head placement of layer 1"), std::string::npos);
  Order short_order = contiguous();
  short_order.pop_back();
  EXPECT_FALSE(TpCpuModel::split(*full_, short_order, 2).ok());
}

}  // namespace
}  // namespace hkv::model
