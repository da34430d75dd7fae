// Random-weight models ("random:FOLDER", for benchmarks of shapes whose weights are not on disk):
// the config's shapes, deterministic values (norms 1, the rest with standard deviation 0.02), the
// same tensors on every open, and a clear error without a config.json.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "formats/weights.h"
#include "tests/testing/temp_dir.h"

namespace hkv::model {
namespace {

const char* kConfig = R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
  "intermediate_size": 96, "vocab_size": 160, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
  "max_position_embeddings": 512, "tie_word_embeddings": false})";

TEST(RandomWeightsTest, TheConfigsShapesWithDeterministicValues) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/config.json") << kConfig;
  auto a = ModelSource::open(std::string(kRandomWeightsPrefix) + dir.path());
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_TRUE(a->is_random());
  EXPECT_EQ(a->config().num_kv_heads, 2);
  auto b = ModelSource::open(std::string(kRandomWeightsPrefix) + dir.path() + "/config.json");
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  auto wa = load_weights(*a);
  auto wb = load_weights(*b);
  ASSERT_TRUE(wa.ok()) << wa.status().to_string();
  ASSERT_TRUE(wb.ok());
  EXPECT_EQ(wa->layers[1].wq.data, wb->layers[1].wq.data);
  EXPECT_NE(wa->layers[0].wq.data, wa->layers[1].wq.data);
  EXPECT_EQ(wa->layers[1].wq.shape, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(wa->lm_head.shape, (std::vector<int64_t>{160, 64}));
  for (float v : wa->layers[0].attn_norm.data) {
    EXPECT_EQ(v, 1.0f);
  }
  double sum = 0.0, sq = 0.0;
  const std::vector<float>& w = wa->layers[0].w_gate.data;
  for (float v : w) {
    EXPECT_LE(std::fabs(v), 0.0347f);
    sum += v;
    sq += static_cast<double>(v) * v;
  }
  const double mean = sum / w.size(), sd = std::sqrt(sq / w.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(sd, 0.02, 0.002);
  EXPECT_EQ(a->stored_tensors().size(), 2u * 9 + 3);
  EXPECT_EQ(strip_random_prefix("random:" + dir.path() + "/config.json"), dir.path());
  EXPECT_EQ(strip_random_prefix("/models/x.gguf"), "/models/x.gguf");
}

TEST(RandomWeightsTest, AFolderWithoutConfigIsNotFound) {
  testing::TempDir dir;
  auto s = ModelSource::open("random:" + dir.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_NE(s.status().message().find("no config.json in"), std::string::npos)
      << s.status().to_string();
}

}  // namespace
}  // namespace hkv::model
