// The tensor-parallel GPU engine (M11). On one GPU: NCCL as a group of one (all-reduce and
// all-gather on device buffers), and the whole tensor-parallel code path (shard upload, an
// all-reduce after o-proj and down-proj, the gathered vocabulary, merged runs) against the plain
// engine: identical logits, kept positions and tokens for every method and both layouts. With two
// or more GPUs also TP = 2 against TP = 1 (fp32: logits within rounding, kept positions and tokens
// identical). Label `gpu`: every test skips without a device.
#include "gpu_engine/gpu_tp.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "gpu_engine/gpu_generate.h"
#include "gpu_engine/nccl_comm.h"
#include "kernels/device_buffer.h"
#include "tests/testing/gpu.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

int device_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

TEST(NcclCommTest, AGroupOfOneSumsAndGathersItsOwnBuffer) {
  HKV_SKIP_IF_NO_GPU();
  auto group = make_nccl_group({0});
  ASSERT_TRUE(group.ok()) << group.status().to_string();
  ASSERT_EQ(group->size(), 1u);
  comm::DeviceCommunicator& c = *(*group)[0];
  EXPECT_EQ(c.rank(), 0);
  EXPECT_EQ(c.size(), 1);
  std::vector<float> host = {1.5f, -2.0f, 3.25f, 0.0f};
  auto buf = kernels::DeviceBuffer<float>::allocate(host.size());
  auto out = kernels::DeviceBuffer<float>::allocate(host.size());
  ASSERT_TRUE(buf.ok() && out.ok());
  ASSERT_TRUE(buf->copy_from_host(host.data(), nullptr).ok());
  ASSERT_TRUE(c.all_reduce_sum(buf->data(), 4, comm::DeviceDType::kF32, nullptr).ok());
  ASSERT_TRUE(c.all_gather(buf->data(), out->data(), 4, comm::DeviceDType::kF32, nullptr).ok());
  std::vector<float> back(4);
  ASSERT_TRUE(out->copy_to_host(back.data(), nullptr).ok());
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(back, host);
  EXPECT_NE(nccl_version().find("NCCL 2."), std::string::npos) << nccl_version();
  auto repeated = make_nccl_group({0, 0});
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.status().code(), StatusCode::kInvalidArgument);
}

TEST(NcclCommTest, TwoGpusSumInRankOrder) {
  HKV_SKIP_IF_NO_GPU();
  if (device_count() < 2) {
    GTEST_SKIP() << "needs 2 GPUs";
  }
  auto group = make_nccl_group({0, 1});
  ASSERT_TRUE(group.ok()) << group.status().to_string();
  std::vector<std::vector<float>> got(2, std::vector<float>(8));
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ASSERT_EQ(cudaSetDevice(r), cudaSuccess);
      std::vector<float> mine(8, static_cast<float>(r + 1));
      auto buf = kernels::DeviceBuffer<float>::allocate(8);
      ASSERT_TRUE(buf.ok());
      ASSERT_TRUE(buf->copy_from_host(mine.data(), nullptr).ok());
      ASSERT_TRUE(
          (*group)[r]->all_reduce_sum(buf->data(), 8, comm::DeviceDType::kF32, nullptr).ok());
      ASSERT_TRUE(buf->copy_to_host(got[r].data(), nullptr).ok());
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(got[0], std::vector<float>(8, 3.0f));
  EXPECT_EQ(got[1], std::vector<float>(8, 3.0f));
}

struct Fixture {
  testing::TempDir dir;
  std::string path;
  LlamaConfig config;
  std::vector<CompressionConfig> configs;
  std::vector<std::vector<int32_t>> caps;
  std::vector<int32_t> ids;
};

void make_fixture(Fixture* f) {
  testing::TinyModelOptions o;
  o.hidden = 512;
  o.heads = 8;
  o.kv_heads = 4;  // head_dim 64
  o.ffn = 256;
  o.vocab = 301;  // does not divide by the ranks
  o.layers = 3;
  o.seed = 5;
  f->path = testing::write_tiny_model(f->dir.path(), o).hf_dir;
  auto source = ModelSource::open(f->path);
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  f->config = source->config();
  for (CacheLayout layout : {CacheLayout::kReference, CacheLayout::kGqa}) {
    for (Method m : {Method::kFullKv, Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv,
                     Method::kHeadKvR}) {
      CompressionConfig cc{.method = m, .budget = 48, .layout = layout};
      std::vector<int32_t> caps;
      if (uses_head_scores(m)) {
        cc.head_scores = "test";
        const int32_t segs = layout == CacheLayout::kGqa ? o.kv_heads : o.heads;
        for (int32_t i = 0; i < o.layers * segs; ++i) {
          caps.push_back(8 + (i * 11) % 57);
        }
      }
      f->configs.push_back(cc);
      f->caps.push_back(caps);
    }
  }
  std::mt19937 rng(3);
  f->ids.resize(260);
  for (int32_t& t : f->ids) {
    t = static_cast<int32_t>(rng() % o.vocab);
  }
}

// `reversed`: KV heads placed in reverse order (the weights gathered in that order); else
// contiguous, which at one rank uploads exactly the plain engine's weights.
Result<std::unique_ptr<TpGpuModel>> load_tp(const Fixture& f,
                                            std::vector<int> devices,
                                            bool reversed) {
  HKV_ASSIGN_OR_RETURN(ModelSource source, ModelSource::open(f.path));
  GpuEngineOptions go;
  go.dtype = kernels::DType::kF32;
  go.prefill_chunk = 64;
  std::vector<std::vector<int32_t>> order = contiguous_order(f.config);
  for (auto& layer : order) {
    if (reversed) {
      std::reverse(layer.begin(), layer.end());
    }
  }
  return TpGpuModel::load(source, go, devices, order);
}

TEST(GpuTensorParallelTest, OneRankThroughNcclEqualsThePlainEngine) {
  HKV_SKIP_IF_NO_GPU();
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(make_fixture(&f));
  auto source = ModelSource::open(f.path);
  ASSERT_TRUE(source.ok());
  GpuEngineOptions go;
  go.dtype = kernels::DType::kF32;
  go.prefill_chunk = 64;
  auto plain = GpuModel::load(*source, go);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  GenerationConfig gen;
  gen.max_new_tokens = 10;
  GpuTrace trace;
  trace.keep_positions = true;
  auto want = generate_multi_gpu(**plain, f.ids, f.configs, f.caps, gen, {}, &trace);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  auto tp = load_tp(f, {0}, false);
  ASSERT_TRUE(tp.ok()) << tp.status().to_string();
  std::vector<std::vector<KeptPositions>> kept;
  auto got = (*tp)->generate(f.ids, f.configs, f.caps, gen, {}, &kept);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  for (size_t i = 0; i < f.configs.size(); ++i) {
    EXPECT_EQ(got->runs[i].tokens, want->runs[i].tokens) << f.configs[i].label();
    EXPECT_EQ(got->runs[i].cache_entries, want->runs[i].cache_entries) << f.configs[i].label();
    EXPECT_EQ(kept[i], trace.kept[i]) << f.configs[i].label();
  }
}

TEST(GpuTensorParallelTest, TwoGpusMatchOne) {
  HKV_SKIP_IF_NO_GPU();
  if (device_count() < 2) {
    GTEST_SKIP() << "needs 2 GPUs";
  }
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(make_fixture(&f));
  GenerationConfig gen;
  gen.max_new_tokens = 10;
  auto one = load_tp(f, {0}, false);
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  std::vector<std::vector<KeptPositions>> want_kept, kept;
  auto want = (*one)->generate(f.ids, f.configs, f.caps, gen, {}, &want_kept);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  one->reset();
  auto two = load_tp(f, {0, 1}, true);
  ASSERT_TRUE(two.ok()) << two.status().to_string();
  auto got = (*two)->generate(f.ids, f.configs, f.caps, gen, {}, &kept);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  for (size_t i = 0; i < f.configs.size(); ++i) {
    EXPECT_EQ(got->runs[i].tokens, want->runs[i].tokens) << f.configs[i].label();
    EXPECT_EQ(got->runs[i].cache_entries, want->runs[i].cache_entries) << f.configs[i].label();
    EXPECT_EQ(kept[i], want_kept[i]) << f.configs[i].label();
  }
}

// M11's acceptance run on 2+ GPUs: $HKV_TP_COMPARE_MODEL (for example random:FOLDER with the
// Llama-3-8B shape of bench/models) in bf16 at TP = 2 against TP = 1 on a 2048-token random prompt:
// logits within 2e-2 of the largest |logit| at every step of sequence 0, and at least 99% of the
// kept positions shared. Skipped without the variable or with one GPU (scripts/gpu-m11.sh sets it).
TEST(GpuTensorParallelTest, TwoGpusMatchOneOnTheModelOfTheEnvironment) {
  HKV_SKIP_IF_NO_GPU();
  const char* path = std::getenv("HKV_TP_COMPARE_MODEL");
  if (path == nullptr || device_count() < 2) {
    GTEST_SKIP() << "needs $HKV_TP_COMPARE_MODEL and 2 GPUs";
  }
  auto source = ModelSource::open(path);
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  const LlamaConfig& c = source->config();
  std::vector<CompressionConfig> configs;
  std::vector<std::vector<int32_t>> caps;
  for (Method m : {Method::kSnapKv, Method::kPyramidKv, Method::kAdaSnapKv, Method::kHeadKvR2}) {
    CompressionConfig cc{.method = m, .budget = 128};
    std::vector<int32_t> table;
    if (uses_head_scores(m)) {
      cc.head_scores = "test";
      cc.beta = 1.01;
      for (int32_t i = 0; i < c.num_layers * c.num_q_heads; ++i) {
        table.push_back(2 + (i * 37) % 400);  // uneven, as HeadKV's are
      }
    }
    configs.push_back(cc);
    caps.push_back(table);
  }
  std::mt19937 rng(11);
  std::vector<int32_t> ids(2048);
  for (int32_t& t : ids) {
    t = static_cast<int32_t>(rng() % c.vocab_size);
  }
  GenerationConfig gen;
  gen.max_new_tokens = 16;
  GpuEngineOptions go;
  go.dtype = kernels::DType::kBf16;
  std::vector<std::vector<KeptPositions>> kept[2];
  std::vector<std::vector<float>> logits[2];
  for (int k = 0; k < 2; ++k) {
    std::vector<int> devices = k == 0 ? std::vector<int>{0} : std::vector<int>{0, 1};
    auto tp = TpGpuModel::load(*source, go, devices, contiguous_order(c));
    ASSERT_TRUE(tp.ok()) << tp.status().to_string();
    auto run = (*tp)->generate(ids, configs, caps, gen, {}, &kept[k], &logits[k]);
    ASSERT_TRUE(run.ok()) << run.status().to_string();
  }
  ASSERT_FALSE(logits[0].empty());
  double worst = 0.0;
  for (size_t step = 0; step < std::min(logits[0].size(), logits[1].size()); ++step) {
    double peak = 0.0, diff = 0.0;
    for (size_t i = 0; i < logits[0][step].size(); ++i) {
      peak = std::max(peak, std::fabs(static_cast<double>(logits[0][step][i])));
      diff =
          std::max(diff, std::fabs(static_cast<double>(logits[0][step][i] - logits[1][step][i])));
    }
    worst = std::max(worst, diff / std::max(peak, 1e-6));
  }
  int64_t total = 0, shared = 0;
  for (size_t i = 0; i < configs.size(); ++i) {
    for (size_t l = 0; l < kept[0][i].size(); ++l) {
      for (size_t s = 0; s < kept[0][i][l].size(); ++s) {
        std::set<int32_t> a(kept[0][i][l][s].begin(), kept[0][i][l][s].end());
        total += static_cast<int64_t>(a.size());
        for (int32_t p : kept[1][i][l][s]) {
          shared += a.count(p);
        }
      }
    }
  }
  const double overlap =
      static_cast<double>(shared) / static_cast<double>(std::max<int64_t>(total, 1));
  std::printf(
      "TP=2 vs TP=1 (bf16): worst step logits diff %.4f of the largest |logit|, kept "
      "positions shared %.4f\n",
      worst, overlap);
  EXPECT_LE(worst, 2e-2);
  EXPECT_GE(overlap, 0.99);
}

}  // namespace
}  // namespace hkv::model
