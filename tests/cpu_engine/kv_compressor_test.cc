// Known-answer tests of the compression stage (ALGORITHMS.md §1–§4): the PyramidKV schedule table,
// Ada-SnapKV counts, selection order and ties, the short-prompt rule, per-layer entry counts for
// every method and both layouts, and the first generated token equal to FullKV's.
#include "cpu_engine/kv_compressor.h"

#include <numeric>

#include <gtest/gtest.h>

#include "cpu_engine/generate.h"
#include "cpu_engine/window_score.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

TEST(PyramidTest, ScheduleTableOfSection2) {
  struct Row {
    int32_t budget, layer0, layer31, selected_sum;
  };

  // B, layer 0 total, layer 31 total, sum of selected over 32 layers (no clamp: long prompt).
  for (Row r : {Row{64, 118, 25, 2032}, Row{128, 242, 25, 4016}, Row{256, 492, 27, 8048},
                Row{512, 991, 61, 16576}, Row{1024, 1990, 68, 32672}}) {
    std::vector<int32_t> caps = pyramid_layer_budgets(r.budget, 8, 32, 100000);
    EXPECT_EQ(caps[0], r.layer0) << "B=" << r.budget;
    EXPECT_EQ(caps[31], r.layer31) << "B=" << r.budget;
    int32_t selected = 0;
    for (int32_t c : caps) {
      selected += c - 8;
    }
    EXPECT_EQ(selected, r.selected_sum) << "B=" << r.budget;
  }
}

TEST(PyramidTest, ShortFirstPromptClamps) {
  // L - w = 200 <= max_num 234 at B = 128: max_num = 200, min_num = 40, steps = 160 // 31 = 5.
  std::vector<int32_t> caps = pyramid_layer_budgets(128, 8, 32, 208);
  EXPECT_EQ(caps[0], 208);
  EXPECT_EQ(caps[31], 200 - 31 * 5 + 8);
}

TEST(SelectionTest, OrderIsScoreDescendingTiesByLowerPosition) {
  std::vector<float> s = {0.5f, 0.9f, 0.5f, 0.9f, 0.1f, 0.5f};
  EXPECT_EQ(order_by_score(s.data(), 6), (std::vector<int32_t>{1, 3, 0, 2, 5, 4}));
}

TEST(AdaSnapKvTest, CountsOnCraftedScores) {
  // Two heads, n = 10, B = 13 (C = 5): floor_cap = int(5 * 0.2) = 1. Head 0 holds all the mass,
  // so the flat top-10 takes its 10 entries... but it only has 10 positions: counts {10, 0}
  // capped by the formula: cap = 1 + (4*count + 2) // 5 -> {9, 1}.
  std::vector<float> scores(20, 0.0f);
  for (int j = 0; j < 10; ++j) {
    scores[j] = 0.5f - 0.01f * j;
  }
  for (int j = 0; j < 10; ++j) {
    scores[10 + j] = 0.001f;
  }
  std::vector<int32_t> counts = ada_snapkv_counts(scores, 2, 10, 13, 8, false);
  EXPECT_EQ(counts, (std::vector<int32_t>{9, 1}));
  // Equal heads split evenly: each gets 5 of the top-10 -> 1 + (20 + 2) // 5 = 5.
  std::vector<float> even(20);
  for (int j = 0; j < 10; ++j) {
    even[j] = even[10 + j] = 1.0f - 0.05f * j;
  }
  EXPECT_EQ(ada_snapkv_counts(even, 2, 10, 13, 8, false), (std::vector<int32_t>{5, 5}));
}

class CompressorModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TinyModelOptions o;
    o.layers = 3;
    model_ = testing::write_tiny_model(dir_.path(), o);
    auto source = ModelSource::open(model_.hf_dir);
    ASSERT_TRUE(source.ok());
    auto cpu = CpuModel::load(*source);
    ASSERT_TRUE(cpu.ok());
    cpu_ = std::make_unique<CpuModel>(std::move(cpu).value());
    prompt_.resize(100);
    for (int i = 0; i < 100; ++i) {
      prompt_[i] = 3 + (i * 29) % 150;
    }
    auto prefill = cpu_->prefill(prompt_, 8, false);
    ASSERT_TRUE(prefill.ok());
    prefill_ = std::move(prefill).value();
  }

  std::vector<int32_t> caps(const CompressionConfig& cc, int32_t per_head) const {
    int32_t segs = cc.layout == CacheLayout::kGqa ? cfg().num_kv_heads : cfg().num_q_heads;
    std::vector<int32_t> c(cfg().num_layers * segs);
    for (size_t i = 0; i < c.size(); ++i) {
      c[i] = per_head + static_cast<int32_t>(i % 3) * 7;
    }
    return c;
  }

  const LlamaConfig& cfg() const { return cpu_->config(); }

  testing::TempDir dir_;
  testing::TinyModel model_;
  std::unique_ptr<CpuModel> cpu_;
  std::vector<int32_t> prompt_;
  PrefillOutput prefill_;
};

TEST_F(CompressorModelTest, EntryCountsFollowTheFormulaForEveryMethodAndLayout) {
  const int64_t L = 100, w = 8, B = 40;
  for (CacheLayout layout : {CacheLayout::kReference, CacheLayout::kGqa}) {
    int32_t segs = layout == CacheLayout::kGqa ? cfg().num_kv_heads : cfg().num_q_heads;
    for (Method m : {Method::kFullKv, Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv,
                     Method::kHeadKvR2}) {
      CompressionConfig cc{
          .method = m, .budget = static_cast<int32_t>(B), .head_scores = "x", .layout = layout};
      std::vector<int32_t> head_caps = uses_head_scores(m) ? caps(cc, 20) : std::vector<int32_t>();
      auto cache = build_cache(prefill_, cfg(), cc, head_caps, {});
      ASSERT_TRUE(cache.ok()) << cache.status().to_string();
      std::vector<int32_t> pyramid = pyramid_layer_budgets(B, w, cfg().num_layers, L);
      for (int32_t l = 0; l < cfg().num_layers; ++l) {
        const HeadKvLayer& layer = cache->layers[l];
        int64_t want = 0;
        switch (m) {
          case Method::kFullKv:
            ASSERT_EQ(layer.num_heads(), cfg().num_kv_heads);
            want = L * cfg().num_kv_heads;
            break;
          case Method::kSnapKv:
            want = B * segs;
            break;
          case Method::kPyramidKv:
            want = (L < pyramid[l] ? L : pyramid[l]) * segs;
            break;
          case Method::kAdaSnapKv: {
            // 0.8 * segs * C + segs * floor_cap, up to the per-head rounding.
            int64_t C = B - w, floor_cap = static_cast<int64_t>(C * 0.2);
            int64_t approx = segs * (floor_cap + w) + (4 * segs * C) / 5;
            EXPECT_NEAR(layer.entries(), approx, segs) << "layer " << l;
            continue;
          }
          default:
            for (int32_t s = 0; s < segs; ++s) {
              want += head_caps[l * segs + s] + w;
            }
        }
        EXPECT_EQ(layer.entries(), want)
            << method_name(m) << " " << cache_layout_name(layout) << " layer " << l;
      }
    }
  }
}

TEST_F(CompressorModelTest, SnapKvKeepsTopScoresThenWindow) {
  CompressionConfig cc{.method = Method::kSnapKv, .budget = 20};
  std::vector<std::vector<int32_t>> kept =
      select_positions(prefill_.layers[1], cfg(), cc, 1, 100, 8, {}, true);
  WindowScoreParams p{prefill_.layers[1].window_q.data(),
                      prefill_.layers[1].k.data(),
                      cfg().num_q_heads,
                      cfg().num_kv_heads,
                      8,
                      100,
                      cfg().head_dim};
  std::vector<float> s = window_scores(p);
  for (int32_t h = 0; h < cfg().num_q_heads; ++h) {
    std::vector<int32_t> order = order_by_score(&s[h * 92], 92);
    std::vector<int32_t> want(order.begin(), order.begin() + 12);
    for (int j = 92; j < 100; ++j) {
      want.push_back(j);
    }
    EXPECT_EQ(kept[h], want) << "head " << h;
  }
}

TEST_F(CompressorModelTest, ShortPromptIsNotCompressed) {
  // L = 100 < B = 128: every head keeps all 100 positions, in order, for every method.
  for (Method m : {Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv, Method::kHeadKvR}) {
    CompressionConfig cc{.method = m, .budget = 128, .head_scores = "x"};
    std::vector<int32_t> head_caps(cfg().num_layers * cfg().num_q_heads, 5);
    auto cache = build_cache(prefill_, cfg(), cc, head_caps, {});
    ASSERT_TRUE(cache.ok()) << cache.status().to_string();
    for (const HeadKvLayer& layer : cache->layers) {
      for (int32_t h = 0; h < layer.num_heads(); ++h) {
        EXPECT_EQ(layer.len(h), 100) << method_name(m);
      }
    }
  }
}

TEST_F(CompressorModelTest, FirstTokenEqualsFullKvForEveryMethod) {
  std::vector<CompressionConfig> configs;
  std::vector<std::vector<int32_t>> head_caps;
  for (CacheLayout layout : {CacheLayout::kReference, CacheLayout::kGqa}) {
    for (Method m : {Method::kFullKv, Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv,
                     Method::kHeadKvR, Method::kHeadKvR2}) {
      CompressionConfig cc{.method = m, .budget = 24, .head_scores = "x", .layout = layout};
      configs.push_back(cc);
      head_caps.push_back(uses_head_scores(m) ? caps(cc, 10) : std::vector<int32_t>());
    }
  }
  GenerationConfig gen;
  gen.max_new_tokens = 6;
  auto run = generate_multi(*cpu_, prompt_, configs, head_caps, gen);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  for (const ConfigRun& r : run->runs) {
    ASSERT_FALSE(r.tokens.empty());
    EXPECT_EQ(r.tokens[0], run->runs[0].tokens[0]) << r.config.label();
    EXPECT_EQ(r.tokens.size(), 6u);
  }
  // Batched decode equals decoding each config alone.
  for (size_t i = 0; i < configs.size(); i += 5) {
    auto single = generate_multi(*cpu_, prompt_, {configs[i]}, {head_caps[i]}, gen);
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(single->runs[0].tokens, run->runs[i].tokens) << configs[i].label();
  }
}

TEST(CompressionConfigTest, ValidationErrorsNameTheField) {
  CompressionConfig beta{
      .method = Method::kHeadKvR2, .budget = 128, .beta = 0.9, .head_scores = "reasoning"};
  EXPECT_NE(beta.validate().message().find("beta = 0.9, expected >= 1"), std::string::npos);
  CompressionConfig small{.method = Method::kSnapKv, .budget = 8};
  EXPECT_NE(small.validate().message().find("budget = 8 must exceed the window = 8"),
            std::string::npos);
  CompressionConfig scores{.method = Method::kHeadKvR, .budget = 64};
  EXPECT_NE(scores.validate().message().find("needs head scores"), std::string::npos);
  EXPECT_FALSE(parse_method("CopyKV").ok());
  EXPECT_EQ(*parse_method("AdativeKV"), Method::kAdaSnapKv);
  EXPECT_EQ(*parse_method("headkv-r2"), Method::kHeadKvR2);
}

}  // namespace
}  // namespace hkv::model
