// The engine front door under tensor parallelism (--tp on generate, eval, worker, run): a CPU
// engine at TP = 2 with a non-contiguous placement generates what TP = 1 does, says what it is,
// and shapes that do not split are refused with the reason.
#include <algorithm>

#include <gtest/gtest.h>

#include "model/engine.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

TEST(TpEngineTest, CpuEngineAtTwoRanksGeneratesWhatOneRankDoes) {
  testing::TempDir dir;
  testing::TinyModelOptions o;
  o.heads = 8;
  o.kv_heads = 4;
  o.layers = 2;
  auto tiny = testing::write_tiny_model(dir.path(), o);
  auto source = ModelSource::open(tiny.hf_dir);
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  EngineOptions one;
  auto whole = load_engine(*source, one);
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  EngineOptions two;
  two.tp = 2;
  two.head_order.assign(o.layers, {3, 1, 0, 2});
  auto split = load_engine(*source, two);
  ASSERT_TRUE(split.ok()) << split.status().to_string();
  EXPECT_EQ((*split)->description(), "cpu, tensor-parallel over 2 threads (balanced placement)");
  EXPECT_EQ((*split)->config().num_q_heads, 8);  // the whole model's shape
  std::vector<int32_t> prompt(90);
  for (size_t i = 0; i < prompt.size(); ++i) {
    prompt[i] = 3 + static_cast<int32_t>((i * 37) % 150);
  }
  std::vector<CompressionConfig> configs = {
      CompressionConfig{.method = Method::kSnapKv, .budget = 24},
      CompressionConfig{.method = Method::kAdaSnapKv, .budget = 24},
      CompressionConfig{.method = Method::kHeadKvR,
                        .budget = 24,
                        .head_scores = "x",
                        .layout = CacheLayout::kGqa}};
  std::vector<std::vector<int32_t>> caps = {{}, {}, std::vector<int32_t>(o.layers * 4, 12)};
  caps[2][1] = 30;
  GenerationConfig gen;
  gen.max_new_tokens = 6;
  auto want = (*whole)->generate(prompt, configs, caps, gen);
  auto got = (*split)->generate(prompt, configs, caps, gen);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  for (size_t i = 0; i < configs.size(); ++i) {
    EXPECT_EQ(got->runs[i].tokens, want->runs[i].tokens) << configs[i].label();
    EXPECT_EQ(got->runs[i].cache_entries, want->runs[i].cache_entries) << configs[i].label();
  }
}

TEST(TpEngineTest, ShapesThatDoNotSplitAreRefused) {
  testing::TempDir dir;
  testing::TinyModelOptions o;  // 4 query / 2 KV heads
  auto tiny = testing::write_tiny_model(dir.path(), o);
  auto source = ModelSource::open(tiny.hf_dir);
  ASSERT_TRUE(source.ok());
  EngineOptions three;
  three.tp = 3;
  auto r = load_engine(*source, three);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the 2 KV heads and the FFN width 96 must both divide"),
            std::string::npos)
      << r.status().to_string();
  EngineOptions zero;
  zero.tp = 0;
  EXPECT_EQ(load_engine(*source, zero).status().code(), StatusCode::kInvalidArgument);
  auto cpu = expand_devices("cpu", 2);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(*cpu, std::vector<std::string>{"cpu"});
}

}  // namespace
}  // namespace hkv::model
