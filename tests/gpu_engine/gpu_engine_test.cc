// The GPU engine against the CPU engine (float32 both ways, tiny random models with head_dim 64):
// logits, greedy tokens of every method, kept positions per head, the observed decoder; and
// the GPU compressor against select_positions on identical fp16 Q/K inputs, for every method and
// both layouts. Label `gpu`: every test skips without a device.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "common/half.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/generate.h"
#include "cpu_engine/kv_compressor.h"
#include "cpu_engine/observed_decoder.h"
#include "gpu_engine/gpu_compress.h"
#include "gpu_engine/gpu_generate.h"
#include "gpu_engine/gpu_observed_decoder.h"
#include "kernels/device_buffer.h"
#include "tests/gpu_engine/engine_models.h"
#include "tests/testing/gpu.h"

namespace hkv::model {
namespace {

using namespace testing_gpu;  // NOLINT: the shared fixtures

TEST(GpuEngineTest, MatchesCpuEngineForEveryMethod) {
  HKV_SKIP_IF_NO_GPU();
  Models m;
  ASSERT_NO_FATAL_FAILURE(load_models(&m, 7));
  const LlamaConfig& c = m.cpu->config();
  const std::vector<int32_t> ids = random_ids(300, c.vocab_size, 11);
  for (CacheLayout layout : {CacheLayout::kReference, CacheLayout::kGqa}) {
    auto configs = all_methods(layout, 64);
    auto caps = caps_for(configs, c);
    GenerationConfig gen;
    gen.max_new_tokens = 12;
    auto cpu_run = generate_multi(*m.cpu, ids, configs, caps, gen);
    ASSERT_TRUE(cpu_run.ok()) << cpu_run.status().to_string();
    GpuTrace trace;
    trace.keep_logits = true;
    trace.keep_positions = true;
    auto gpu_run = generate_multi_gpu(*m.gpu, ids, configs, caps, gen, {}, &trace);
    ASSERT_TRUE(gpu_run.ok()) << gpu_run.status().to_string();
    // Prefill logits.
    auto pre = m.cpu->prefill(ids, 8, false);
    ASSERT_TRUE(pre.ok());
    double max_ref = 0, max_diff = 0;
    for (int i = 0; i < c.vocab_size; ++i) {
      max_ref = std::max(max_ref, std::abs(static_cast<double>(pre->last_logits[i])));
      max_diff = std::max(max_diff,
                          std::abs(static_cast<double>(pre->last_logits[i]) - trace.logits[0][i]));
    }
    EXPECT_LE(max_diff / max_ref, 1e-4);
    for (size_t i = 0; i < configs.size(); ++i) {
      const std::string label = configs[i].label();
      EXPECT_EQ(gpu_run->runs[i].tokens, cpu_run->runs[i].tokens) << label;
      EXPECT_EQ(gpu_run->runs[i].cache_entries, cpu_run->runs[i].cache_entries) << label;
      // Kept positions, layer by layer, against the CPU selection on the CPU prefill.
      int64_t same = 0, total = 0;
      const bool gqa = configs[i].storage_layout() == CacheLayout::kGqa;
      const int32_t S = gqa ? c.num_kv_heads : c.num_q_heads;
      for (int32_t l = 0; l < c.num_layers; ++l) {
        std::span<const int32_t> lc;
        if (!caps[i].empty()) {
          lc = std::span<const int32_t>(caps[i]).subspan(l * S, S);
        }
        auto want = select_positions(pre->layers[l], c, configs[i], l, pre->num_tokens,
                                     pre->window_rows, lc, true);
        for (int32_t s = 0; s < S; ++s) {
          ++total;
          same += want[s] == trace.kept[i][l][s] ? 1 : 0;
        }
      }
      EXPECT_GE(static_cast<double>(same) / total, 0.99) << label << ": " << same << "/" << total;
    }
  }
}

// Head detection's view: the GPU observed decoder shows the same softmax rows (float32 engines)
// and picks the same tokens as the CPU one.
TEST(GpuEngineTest, ObservedDecoderMatchesCpu) {
  HKV_SKIP_IF_NO_GPU();
  Models m;
  ASSERT_NO_FATAL_FAILURE(load_models(&m, 12));
  const LlamaConfig& c = m.cpu->config();
  const std::vector<int32_t> ids = random_ids(120, c.vocab_size, 8);
  auto cpu = make_cpu_decoder(*m.cpu);
  auto gpu = make_gpu_decoder(*m.gpu);
  const int32_t steps = 5;
  ASSERT_TRUE(cpu->begin(ids, steps).ok());
  ASSERT_TRUE(gpu->begin(ids, steps).ok());
  int32_t tc = 3, tg = 3;
  for (int32_t step = 0; step < steps; ++step) {
    std::map<std::pair<int32_t, int32_t>, std::vector<float>> rows_cpu, rows_gpu;
    auto keep = [](auto* rows) {
      return AttentionObserver([rows](size_t, int32_t l, int32_t h, std::span<const float> p) {
        (*rows)[{l, h}] = std::vector<float>(p.begin(), p.end());
      });
    };
    auto nc = cpu->step(tc, 120 + step, keep(&rows_cpu));
    auto ng = gpu->step(tg, 120 + step, keep(&rows_gpu));
    ASSERT_TRUE(nc.ok() && ng.ok());
    EXPECT_EQ(*nc, *ng) << "step " << step;
    ASSERT_EQ(rows_cpu.size(), static_cast<size_t>(c.num_layers * c.num_q_heads));
    for (const auto& [key, row] : rows_cpu) {
      const std::vector<float>& g = rows_gpu[key];
      ASSERT_EQ(g.size(), row.size()) << "layer " << key.first << " head " << key.second;
      ASSERT_EQ(row.size(), 121u + step);
      for (size_t j = 0; j < row.size(); ++j) {
        ASSERT_NEAR(g[j], row[j], 1e-5) << "layer " << key.first << " head " << key.second;
      }
    }
    tc = *nc;
    tg = *ng;
  }
}

// Identical fp16 inputs on both sides: the GPU window-score + sort + count path keeps exactly the
// positions of the CPU selection, ties included (maxpool plateaus make them common).
TEST(GpuCompressorTest, KeepsExactlyTheCpuPositionsOnIdenticalInputs) {
  HKV_SKIP_IF_NO_GPU();
  LlamaConfig c;
  c.num_layers = 2;
  c.num_q_heads = 8;
  c.num_kv_heads = 2;
  c.head_dim = 64;
  c.hidden_size = 512;
  const int64_t L = 700;
  const int32_t W = 8;
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto f16 = [](float x) { return f16_to_float(float_to_f16(x)); };
  PrefillLayer layer;  // CPU layout: k [kv, L, d], window_q [H, W, d]
  layer.k.resize(c.num_kv_heads * L * c.head_dim);
  layer.v.resize(layer.k.size());
  layer.window_q.resize(int64_t{c.num_q_heads} * W * c.head_dim);
  for (float& x : layer.k) {
    x = f16(nd(rng));
  }
  for (float& x : layer.v) {
    x = f16(nd(rng));
  }
  for (float& x : layer.window_q) {
    x = f16(2.0f * nd(rng));
  }
  // GPU layout: k [L, kv, d], window_q [W, H, d], fp16.
  std::vector<uint16_t> k_dev(layer.k.size()), v_dev(layer.v.size()), q_dev(layer.window_q.size());
  for (int64_t g = 0; g < c.num_kv_heads; ++g) {
    for (int64_t t = 0; t < L; ++t) {
      for (int64_t e = 0; e < c.head_dim; ++e) {
        const int64_t src = (g * L + t) * c.head_dim + e,
                      dst = (t * c.num_kv_heads + g) * c.head_dim + e;
        k_dev[dst] = float_to_f16(layer.k[src]);
        v_dev[dst] = float_to_f16(layer.v[src]);
      }
    }
  }
  for (int64_t h = 0; h < c.num_q_heads; ++h) {
    for (int64_t r = 0; r < W; ++r) {
      for (int64_t e = 0; e < c.head_dim; ++e) {
        q_dev[(r * c.num_q_heads + h) * c.head_dim + e] =
            float_to_f16(layer.window_q[(h * W + r) * c.head_dim + e]);
      }
    }
  }
  auto stream = kernels::CudaStream::create();
  ASSERT_TRUE(stream.ok());
  auto up = [&](const std::vector<uint16_t>& v) {
    auto b = kernels::DeviceBuffer<uint16_t>::allocate(v.size());
    EXPECT_TRUE(b.ok());
    EXPECT_TRUE(b->copy_from_host(v.data(), stream->get()).ok());
    EXPECT_TRUE(stream->synchronize().ok());
    return std::move(*b);
  };
  auto kb = up(k_dev), vb = up(v_dev), qb = up(q_dev);
  for (CacheLayout layout : {CacheLayout::kReference, CacheLayout::kGqa}) {
    for (int32_t budget : {40, 128, 512, 900}) {
      auto configs = all_methods(layout, budget);
      CompressionConfig avg = configs[1];
      avg.pooling = Pooling::kAvg;
      avg.kernel = 5;
      configs.push_back(avg);
      auto caps = caps_for(configs, c);
      std::vector<CacheLayout> layouts;
      for (const auto& cc : configs) {
        layouts.push_back(cc.storage_layout());
      }
      auto batch = GpuBatch::create(c, layouts, kernels::DType::kF16, stream->get());
      ASSERT_TRUE(batch.ok());
      auto comp =
          GpuCompressor::create(c, kernels::DType::kF16, configs, caps, L, W, 0, stream->get());
      ASSERT_TRUE(comp.ok()) << comp.status().to_string();
      std::vector<std::vector<std::vector<std::vector<int32_t>>>> kept;
      for (int32_t l = 0; l < c.num_layers; ++l) {
        LayerKvView view{kb.data(), vb.data(), qb.data(), L, W};
        Status st = (*comp)->compress_layer(l, view, &*batch, &kept);
        ASSERT_TRUE(st.ok()) << st.to_string();
      }
      Status done = (*comp)->finish();
      ASSERT_TRUE(done.ok()) << done.to_string();
      for (size_t i = 0; i < configs.size(); ++i) {
        const bool gqa = layouts[i] == CacheLayout::kGqa;
        const int32_t S = gqa ? c.num_kv_heads : c.num_q_heads;
        for (int32_t l = 0; l < c.num_layers; ++l) {
          std::span<const int32_t> lc;
          if (!caps[i].empty()) {
            lc = std::span<const int32_t>(caps[i]).subspan(l * S, S);
          }
          auto want = select_positions(layer, c, configs[i], l, L, W, lc, true);
          for (int32_t s = 0; s < S; ++s) {
            ASSERT_EQ(kept[i][l][s], want[s])
                << configs[i].label() << " layout " << cache_layout_name(layout) << " layer " << l
                << " segment " << s;
          }
        }
      }
    }
  }
}

// A prompt refused for an id outside the vocabulary (the embedding's device flag) leaves the flag
// clear: the next prompt on the same model is prefilled, and generates.
TEST(GpuEngineTest, ARefusedPromptDoesNotRefuseTheNext) {
  HKV_SKIP_IF_NO_GPU();
  Models m;
  ASSERT_NO_FATAL_FAILURE(load_models(&m, 12));
  const LlamaConfig& c = m.cpu->config();
  const auto configs = all_methods(CacheLayout::kReference, 16);
  const auto caps = caps_for(configs, c);
  const std::vector<int32_t> ids = random_ids(100, c.vocab_size, 1);
  std::vector<int32_t> bad = ids;
  bad[3] = c.vocab_size;  // out of the vocabulary
  GpuPrefillOptions po;
  EXPECT_EQ(m.gpu->prefill(bad, configs, caps, po).status().code(), StatusCode::kInvalidArgument);
  auto next = m.gpu->prefill(ids, configs, caps, po);
  EXPECT_TRUE(next.ok()) << next.status().to_string();
  GenerationConfig gen;
  gen.max_new_tokens = 4;
  auto generated = generate_multi_gpu(*m.gpu, ids, configs, caps, gen);
  EXPECT_TRUE(generated.ok()) << generated.status().to_string();
}

}  // namespace
}  // namespace hkv::model
