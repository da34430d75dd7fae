// Shared by the GPU engine tests: tiny random models loaded into both engines (float32, head_dim
// 64), every method's configs, uneven HeadKV capacities and random prompts.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cpu_engine/cpu_model.h"
#include "gpu_engine/gpu_model.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model::testing_gpu {

inline std::vector<CompressionConfig> all_methods(CacheLayout layout, int32_t budget) {
  std::vector<CompressionConfig> out;
  for (Method m : {Method::kFullKv, Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv,
                   Method::kHeadKvR}) {
    CompressionConfig cc;
    cc.method = m;
    cc.budget = budget;
    cc.layout = layout;
    if (uses_head_scores(m)) {
      cc.head_scores = "test";
    }
    out.push_back(cc);
  }
  return out;
}

// Uneven HeadKV capacities for `segments` per layer: 10..(10 + 13 s) rows.
inline std::vector<int32_t> test_caps(int32_t layers, int32_t segments) {
  std::vector<int32_t> caps;
  for (int32_t l = 0; l < layers; ++l) {
    for (int32_t s = 0; s < segments; ++s) {
      caps.push_back(10 + 13 * ((s + l) % segments));
    }
  }
  return caps;
}

inline std::vector<std::vector<int32_t>> caps_for(const std::vector<CompressionConfig>& cs,
                                                  const LlamaConfig& c) {
  std::vector<std::vector<int32_t>> caps;
  for (const auto& cc : cs) {
    const bool gqa = cc.storage_layout() == CacheLayout::kGqa;
    caps.push_back(uses_head_scores(cc.method)
                       ? test_caps(c.num_layers, gqa ? c.num_kv_heads : c.num_q_heads)
                       : std::vector<int32_t>());
  }
  return caps;
}

struct Models {
  testing::TempDir dir;
  std::string path;
  std::unique_ptr<CpuModel> cpu;
  std::unique_ptr<GpuModel> gpu;
};

inline void load_models(Models* m, uint32_t seed, bool graphs = true, bool ahead = true) {
  testing::TinyModelOptions o;
  o.hidden = 256;
  o.heads = 4;
  o.kv_heads = 2;  // head_dim 64
  o.ffn = 160;
  o.vocab = 300;
  o.layers = 3;
  o.seed = seed;
  m->path = testing::write_tiny_model(m->dir.path(), o).hf_dir;
  auto source = ModelSource::open(m->path);
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  auto cpu = CpuModel::load(*source);
  ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
  m->cpu = std::make_unique<CpuModel>(std::move(*cpu));
  GpuEngineOptions go;
  go.dtype = kernels::DType::kF32;
  go.prefill_chunk = 64;  // several chunks per prompt
  go.decode_graphs = graphs;
  go.decode_ahead = ahead;
  auto gpu = GpuModel::load(*source, go);
  ASSERT_TRUE(gpu.ok()) << gpu.status().to_string();
  m->gpu = std::move(*gpu);
}

inline std::vector<int32_t> random_ids(int n, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> ids(n);
  for (int32_t& t : ids) {
    t = static_cast<int32_t>(rng() % vocab);
  }
  return ids;
}

}  // namespace hkv::model::testing_gpu
