// Weights: GGUF and safetensors copies of the same tiny model load identically (the GGUF Q/K row
// permutation is undone); missing tensors and shape mismatches name the file and tensor.
#include "formats/weights.h"

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

void expect_same(const LlamaWeights& a, const LlamaWeights& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  EXPECT_EQ(a.token_embd.data, b.token_embd.data);
  EXPECT_EQ(a.output_norm.data, b.output_norm.data);
  EXPECT_EQ(a.lm_head.data, b.lm_head.data);
  for (size_t l = 0; l < a.layers.size(); ++l) {
    const LayerWeights &x = a.layers[l], &y = b.layers[l];
    EXPECT_EQ(x.wq.data, y.wq.data) << "layer " << l;
    EXPECT_EQ(x.wk.data, y.wk.data) << "layer " << l;
    EXPECT_EQ(x.wv.data, y.wv.data);
    EXPECT_EQ(x.wo.data, y.wo.data);
    EXPECT_EQ(x.w_gate.data, y.w_gate.data);
    EXPECT_EQ(x.w_up.data, y.w_up.data);
    EXPECT_EQ(x.w_down.data, y.w_down.data);
    EXPECT_EQ(x.attn_norm.data, y.attn_norm.data);
    EXPECT_EQ(x.ffn_norm.data, y.ffn_norm.data);
  }
}

class WeightsFormatTest : public ::testing::TestWithParam<std::tuple<bool, bool, bool>> {};

TEST_P(WeightsFormatTest, GgufAndSafetensorsAreIdentical) {
  auto [half, tie, sharded] = GetParam();
  testing::TempDir dir;
  testing::TinyModelOptions o;
  o.half = half;
  o.tie_embeddings = tie;
  o.sharded = sharded;
  testing::TinyModel m = testing::write_tiny_model(dir.path(), o);
  auto hf = ModelSource::open(m.hf_dir);
  ASSERT_TRUE(hf.ok()) << hf.status().to_string();
  auto gg = ModelSource::open(m.gguf_path);
  ASSERT_TRUE(gg.ok()) << gg.status().to_string();
  EXPECT_EQ(hf->config().tie_word_embeddings, tie);
  EXPECT_EQ(gg->config().tie_word_embeddings, tie);
  EXPECT_EQ(gg->config().head_dim, hf->config().head_dim);
  auto a = load_weights(*hf);
  auto b = load_weights(*gg);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  expect_same(*a, *b);
  // And both equal what was written (HF layout).
  EXPECT_EQ(a->layers[1].wq.data, m.hf_weights.at("model.layers.1.self_attn.q_proj.weight"));
  EXPECT_EQ(b->layers[0].wk.data, m.hf_weights.at("model.layers.0.self_attn.k_proj.weight"));
}

INSTANTIATE_TEST_SUITE_P(Variants,
                         WeightsFormatTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Bool(),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "f16" : "f32") +
                                  (std::get<1>(info.param) ? "_tied" : "_untied") +
                                  (std::get<2>(info.param) ? "_sharded" : "_single");
                         });

TEST(WeightsTest, RopePermutationRoundTrips) {
  std::vector<float> hf(4 * 8 * 3), g(hf.size()), back(hf.size());
  for (size_t i = 0; i < hf.size(); ++i) {
    hf[i] = static_cast<float>(i);
  }
  permute_rope_rows(hf.data(), g.data(), 4, 8, 3);
  EXPECT_NE(g, hf);
  // GGUF row 1 of head 0 is HF row 4 (= head_dim/2): pairs (j, j + half) become adjacent.
  EXPECT_EQ(g[1 * 3], hf[4 * 3]);
  unpermute_rope_rows(g.data(), back.data(), 4, 8, 3);
  EXPECT_EQ(back, hf);
}

TEST(WeightsTest, MissingTensorAndShapeMismatchNameTheTensor) {
  testing::TempDir dir;
  testing::TinyModel m = testing::write_tiny_model(dir.path(), {});
  // Rewrite the safetensors without one tensor and with one wrong shape.
  auto original = ModelSource::open(m.hf_dir);
  ASSERT_TRUE(original.ok());
  std::map<std::string, testing::RawTensor> tensors;
  for (const StoredTensor& t : original->stored_tensors()) {
    const std::vector<float>& values = m.hf_weights.at(t.name);
    std::vector<uint8_t> raw(values.size() * 4);
    std::memcpy(raw.data(), values.data(), raw.size());
    tensors[t.name] = {"F32", t.shape, raw};
  }
  tensors.erase("model.layers.1.mlp.down_proj.weight");
  tensors["model.layers.0.self_attn.q_proj.weight"].shape = {32, 128};
  testing::write_safetensors(m.hf_dir + "/model.safetensors", tensors);
  auto src = ModelSource::open(m.hf_dir);
  ASSERT_TRUE(src.ok()) << src.status().to_string();
  Status shape = src->load(WeightId::kWq, 0).status();
  EXPECT_EQ(shape.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(shape.message().find("'model.layers.0.self_attn.q_proj.weight' has shape [32, 128], "
                                 "expected [64, 64]"),
            std::string::npos)
      << shape.message();
  Status missing = load_weights(*src).status();
  EXPECT_FALSE(missing.ok());
  Status down = src->load(WeightId::kWDown, 1).status();
  EXPECT_EQ(down.code(), StatusCode::kNotFound);
  EXPECT_NE(down.message().find("model.layers.1.mlp.down_proj.weight"), std::string::npos);
}

TEST(WeightsTest, NonexistentPath) {
  Status st = ModelSource::open("/nonexistent/model.gguf").status();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("/nonexistent/model.gguf"), std::string::npos);
}

TEST(WeightsTest, SmolLm2LoadsEveryWeight) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto src = ModelSource::open(path);
  ASSERT_TRUE(src.ok()) << src.status().to_string();
  auto w = load_weights(*src);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w->layers.size(), 30u);
  EXPECT_TRUE(w->lm_head.data.empty());  // tied
  EXPECT_EQ(w->token_embd.shape, (std::vector<int64_t>{49152, 576}));
  EXPECT_EQ(w->layers[29].wk.shape, (std::vector<int64_t>{192, 576}));
}

}  // namespace
}  // namespace hkv::model
