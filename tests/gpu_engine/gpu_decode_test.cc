// The GPU engine's decode loop: a batch of configs decodes as each config alone, CUDA graphs and
// decoding one step ahead of the host change nothing, several samples decode as one batch. Label
// `gpu`: every test skips without a device.
#include <gtest/gtest.h>

#include "gpu_engine/gpu_generate.h"
#include "tests/gpu_engine/engine_models.h"
#include "tests/testing/gpu.h"

namespace hkv::model {
namespace {

using namespace testing_gpu;  // NOLINT: the shared fixtures

TEST(GpuEngineTest, BatchedDecodeEqualsSingleConfigRuns) {
  HKV_SKIP_IF_NO_GPU();
  Models m;
  ASSERT_NO_FATAL_FAILURE(load_models(&m, 3));
  const LlamaConfig& c = m.cpu->config();
  const std::vector<int32_t> ids = random_ids(200, c.vocab_size, 5);
  auto configs = all_methods(CacheLayout::kReference, 48);
  auto gqa = all_methods(CacheLayout::kGqa, 80);
  configs.insert(configs.end(), gqa.begin() + 1, gqa.end());  // mixed layouts in one batch
  auto caps = caps_for(configs, c);
  GenerationConfig gen;
  gen.max_new_tokens = 10;
  gen.stop_ids = {5};
  gen.min_new_tokens = 3;
  auto batched = generate_multi_gpu(*m.gpu, ids, configs, caps, gen);
  ASSERT_TRUE(batched.ok()) << batched.status().to_string();
  for (size_t i = 0; i < configs.size(); ++i) {
    auto single = generate_multi_gpu(*m.gpu, ids, {configs[i]}, {caps[i]}, gen);
    ASSERT_TRUE(single.ok()) << single.status().to_string();
    EXPECT_EQ(batched->runs[i].tokens, single->runs[0].tokens) << configs[i].label();
  }
}

TEST(GpuEngineTest, DecodeGraphsChangeNothing) {
  HKV_SKIP_IF_NO_GPU();
  Models with, without;
  ASSERT_NO_FATAL_FAILURE(load_models(&with, 9, true));
  ASSERT_NO_FATAL_FAILURE(load_models(&without, 9, false));
  const std::vector<int32_t> ids = random_ids(150, with.cpu->config().vocab_size, 2);
  auto configs = all_methods(CacheLayout::kGqa, 64);
  auto caps = caps_for(configs, with.cpu->config());
  GenerationConfig gen;
  gen.max_new_tokens = 9;
  GpuTrace a, b;
  a.keep_logits = b.keep_logits = true;
  auto ra = generate_multi_gpu(*with.gpu, ids, configs, caps, gen, {}, &a);
  auto rb = generate_multi_gpu(*without.gpu, ids, configs, caps, gen, {}, &b);
  ASSERT_TRUE(ra.ok()) << ra.status().to_string();
  ASSERT_TRUE(rb.ok()) << rb.status().to_string();
  for (size_t i = 0; i < configs.size(); ++i) {
    EXPECT_EQ(ra->runs[i].tokens, rb->runs[i].tokens) << configs[i].label();
  }
  EXPECT_EQ(a.logits, b.logits);  // same kernels, same order: bit-identical
}

// Decoding one step ahead of the host reads the same tokens as waiting for each step: with every
// sequence stopping early (the step enqueued after the last one runs for nothing), with stop ids
// banned for the first steps, and with every sequence running to max_new_tokens.
TEST(GpuEngineTest, DecodingAheadChangesNothing) {
  HKV_SKIP_IF_NO_GPU();
  Models ahead, waiting;
  ASSERT_NO_FATAL_FAILURE(load_models(&ahead, 6, true, true));
  ASSERT_NO_FATAL_FAILURE(load_models(&waiting, 6, true, false));
  const std::vector<int32_t> ids = random_ids(120, ahead.cpu->config().vocab_size, 8);
  auto configs = all_methods(CacheLayout::kReference, 40);
  auto caps = caps_for(configs, ahead.cpu->config());
  GenerationConfig gen;
  gen.max_new_tokens = 14;
  auto free_run = generate_multi_gpu(*waiting.gpu, ids, configs, caps, gen);
  ASSERT_TRUE(free_run.ok()) << free_run.status().to_string();
  std::vector<GenerationConfig> gens = {gen};
  for (int32_t at : {2, 5}) {  // a token every config says by then stops them all
    GenerationConfig g = gen;
    for (const ConfigRun& run : free_run->runs) {
      g.stop_ids.push_back(run.tokens[at]);
    }
    gens.push_back(g);
    g.min_new_tokens = 4;
    gens.push_back(g);
  }
  for (size_t k = 0; k < gens.size(); ++k) {
    auto a = generate_multi_gpu(*ahead.gpu, ids, configs, caps, gens[k]);
    auto w = generate_multi_gpu(*waiting.gpu, ids, configs, caps, gens[k]);
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    EXPECT_EQ(a->decode_steps, w->decode_steps) << "generation " << k;
    for (size_t i = 0; i < configs.size(); ++i) {
      EXPECT_EQ(a->runs[i].tokens, w->runs[i].tokens)
          << "generation " << k << " " << configs[i].label();
    }
  }
  // A full-length run of the first config ends with the model's own tokens, not the cut.
  EXPECT_EQ(static_cast<int32_t>(free_run->runs[0].tokens.size()), gen.max_new_tokens);
}

// Several samples (different lengths, configs and max_new_tokens) decoded as one merged batch give
// what each gives alone.
TEST(GpuEngineTest, SeveralSamplesDecodeAsOneBatch) {
  HKV_SKIP_IF_NO_GPU();
  Models m;
  ASSERT_NO_FATAL_FAILURE(load_models(&m, 4));
  const LlamaConfig& c = m.cpu->config();
  std::vector<std::vector<int32_t>> prompts = {random_ids(90, c.vocab_size, 1),
                                               random_ids(260, c.vocab_size, 2),
                                               random_ids(33, c.vocab_size, 3)};
  std::vector<std::vector<CompressionConfig>> configs = {
      all_methods(CacheLayout::kReference, 48),
      all_methods(CacheLayout::kGqa, 64),
      {all_methods(CacheLayout::kReference, 16)[1]}};
  std::vector<std::vector<std::vector<int32_t>>> caps;
  std::vector<GpuSampleRequest> requests;
  for (size_t k = 0; k < prompts.size(); ++k) {
    caps.push_back(caps_for(configs[k], c));
  }
  for (size_t k = 0; k < prompts.size(); ++k) {
    GenerationConfig gen;
    gen.max_new_tokens = 6 + 3 * static_cast<int32_t>(k);
    gen.stop_ids = {7};
    requests.push_back({prompts[k], &configs[k], &caps[k], gen});
  }
  auto merged = generate_samples_gpu(*m.gpu, requests);
  ASSERT_TRUE(merged.ok()) << merged.status().to_string();
  for (size_t k = 0; k < prompts.size(); ++k) {
    auto alone = generate_multi_gpu(*m.gpu, prompts[k], configs[k], caps[k], requests[k].gen);
    ASSERT_TRUE(alone.ok()) << alone.status().to_string();
    for (size_t i = 0; i < configs[k].size(); ++i) {
      EXPECT_EQ((*merged)[k].runs[i].tokens, alone->runs[i].tokens)
          << "sample " << k << " " << configs[k][i].label();
    }
  }
  requests[1].gen.min_new_tokens = 2;  // bans must be shared
  EXPECT_EQ(generate_samples_gpu(*m.gpu, requests).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hkv::model
