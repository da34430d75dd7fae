// LlamaConfig from config.json / GGUF, and validate() errors that name the field.
#include "formats/config.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "formats/gguf.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"

namespace hkv::model {
namespace {

const char* kLlama31 = R"({
  "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
  "vocab_size": 128256, "rope_theta": 500000.0, "rms_norm_eps": 1e-05,
  "max_position_embeddings": 131072, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "tie_word_embeddings": false})";

TEST(ConfigTest, ParsesLlama31WithLlama3RopeScaling) {
  testing::TempDir dir;
  dir.write("config.json", kLlama31);
  auto c = load_hf_config(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->num_kv_heads, 8);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 8.0);
  EXPECT_EQ(c->rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{128001, 128008, 128009}));
  EXPECT_EQ(c->num_parameters(), 8030261248);  // Llama-3.1-8B
}

// transformers >= 5 writes rope_theta and the scaling into "rope_parameters" (a bug found on the
// GPU host: the theta silently fell back to 10000 before).
TEST(ConfigTest, ParsesTransformers5RopeParameters) {
  testing::TempDir dir;
  dir.write("config.json", R"({
    "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "vocab_size": 128256, "rms_norm_eps": 1e-05, "pad_token_id": null,
    "rope_parameters": {"rope_theta": 500000.0, "rope_type": "default"}})");
  auto c = load_hf_config(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_DOUBLE_EQ(c->rope_theta, 500000.0);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kNone);
  dir.write("config.json", R"({
    "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
    "vocab_size": 128256, "rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3",
    "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192}})");
  c = load_hf_config(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_DOUBLE_EQ(c->rope_theta, 500000.0);
  EXPECT_EQ(c->rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_DOUBLE_EQ(c->rope_scaling.factor, 8.0);
}

TEST(ConfigTest, GenerationConfigOverridesEos) {
  testing::TempDir dir;
  dir.write("config.json", kLlama31);
  dir.write("generation_config.json", R"({"eos_token_id": 128009, "bos_token_id": 128000})");
  auto c = load_hf_config(dir.path());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{128009}));
}

TEST(ConfigTest, ErrorsNameTheField) {
  struct Case {
    std::string json, expect;
  };

  std::vector<Case> cases = {
      {R"({"architectures": ["GPT2LMHeadModel"]})", "architecture 'GPT2LMHeadModel'"},
      {R"({"architectures": ["LlamaForCausalLM"], "hidden_size": "4096"})",
       ".hidden_size: expected integer, got string"},
      {R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 8,
          "vocab_size": 10})",
       "not a multiple of num_key_value_heads = 3"},
      {R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 0,
          "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10})",
       "num_hidden_layers = 0, expected 1..1024"},
      // The fuzzer's find: sizes that validated but overflowed num_parameters().
      {R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 2080374816,
          "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8,
          "vocab_size": 10})",
       "hidden_size = 2080374816, expected 1..131072"},
      {R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10,
          "rope_scaling": {"type": "yarn", "factor": 4.0}})",
       "rope scaling 'yarn'"},
      {R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10, "eos_token_id": 99})",
       "eos_token_id 99 is outside the vocab"},
      {R"({"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2})",
       ".hidden_size: required"},
  };
  for (const Case& c : cases) {
    testing::TempDir dir;
    dir.write("config.json", c.json);
    Status st = load_hf_config(dir.path()).status();
    EXPECT_FALSE(st.ok()) << c.json;
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
  }
  EXPECT_EQ(load_hf_config("/nonexistent").status().code(), StatusCode::kNotFound);
}

TEST(ConfigTest, SmolLm2FromGguf) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto gguf = GgufFile::open(path);
  ASSERT_TRUE(gguf.ok());
  auto c = load_gguf_config(*gguf);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->num_layers, 30);
  EXPECT_EQ(c->hidden_size, 576);
  EXPECT_EQ(c->num_q_heads, 9);
  EXPECT_EQ(c->num_kv_heads, 3);
  EXPECT_EQ(c->head_dim, 64);
  EXPECT_EQ(c->intermediate_size, 1536);
  EXPECT_EQ(c->vocab_size, 49152);
  EXPECT_DOUBLE_EQ(c->rope_theta, 100000.0);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_EQ(c->bos_token_id, 1);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int32_t>{2}));
  EXPECT_EQ(c->num_parameters(), 134515008);
}

}  // namespace
}  // namespace hkv::model
