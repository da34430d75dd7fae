// kernels/ada_counts.cu against its CPU rule, compression::ada_snapkv_counts, on identical fp16
// scores: random ones, ones with many ties (quantised values, so the global order's tie rule
// decides), a zero column, and the keep = 0 and keep = n edges. Label `gpu`.
#include "kernels/ada_counts.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "common/half.h"
#include "compression/keep_policy.h"
#include "kernels/device_buffer.h"
#include "kernels/topk_select.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

// The device counts for fp16 `scores` [segments, n] with keep = budget - window.
std::vector<int32_t> device_counts(const std::vector<uint16_t>& scores,
                                   int32_t segments,
                                   int64_t n,
                                   int32_t keep) {
  auto stream = CudaStream::create();
  EXPECT_TRUE(stream.ok());
  auto s = DeviceBuffer<uint16_t>::allocate(scores.size());
  auto sorted = DeviceBuffer<int32_t>::allocate(scores.size());
  auto cu = DeviceBuffer<int32_t>::allocate(segments + 1);
  auto counts = DeviceBuffer<int32_t>::allocate(segments);
  EXPECT_TRUE(s.ok() && sorted.ok() && cu.ok() && counts.ok());
  std::vector<int32_t> cu_host(segments + 1);
  for (int32_t i = 0; i <= segments; ++i) {
    cu_host[i] = static_cast<int32_t>(i * n);
  }
  EXPECT_TRUE(s->copy_from_host(scores.data(), stream->get()).ok());
  EXPECT_TRUE(cu->copy_from_host(cu_host.data(), stream->get()).ok());
  TopkSelectParams tp;
  tp.out = sorted->data();
  tp.scores = s->data();
  tp.cu_lens = cu->data();
  tp.cu_k = cu->data();
  tp.num_segments = segments;
  tp.total_len = segments * n;
  auto tws_bytes = topk_select_workspace_bytes(tp);
  EXPECT_TRUE(tws_bytes.ok());
  auto tws = DeviceBuffer<uint8_t>::allocate(*tws_bytes);
  tp.workspace = tws->data();
  tp.workspace_bytes = *tws_bytes;
  EXPECT_TRUE(launch_topk_select(tp, stream->get()).ok());
  AdaCountsParams p;
  p.counts = counts->data();
  p.scores = s->data();
  p.sorted = sorted->data();
  p.num_segments = segments;
  p.n = n;
  p.keep = keep;
  auto ws_bytes = ada_counts_workspace_bytes(p);
  EXPECT_TRUE(ws_bytes.ok());
  auto ws = DeviceBuffer<uint8_t>::allocate(*ws_bytes);
  p.workspace = ws->data();
  p.workspace_bytes = *ws_bytes;
  Status st = launch_ada_counts(p, stream->get());
  EXPECT_TRUE(st.ok()) << st.to_string();
  std::vector<int32_t> out(segments);
  EXPECT_TRUE(counts->copy_to_host(out.data(), stream->get()).ok());
  EXPECT_TRUE(stream->synchronize().ok());
  return out;
}

std::vector<int32_t> host_counts(const std::vector<uint16_t>& scores,
                                 int32_t segments,
                                 int64_t n,
                                 int32_t budget,
                                 int32_t window) {
  std::vector<float> f(scores.size());
  for (size_t i = 0; i < f.size(); ++i) {
    f[i] = f16_to_float(scores[i]);
  }
  return compression::ada_snapkv_counts(f, segments, n, budget, window, true);
}

TEST(AdaCountsTest, MatchesTheCpuRuleOnRandomAndTiedScores) {
  HKV_SKIP_IF_NO_GPU();
  std::mt19937 rng(3);

  struct Case {
    int32_t segments;
    int64_t n;
    int32_t budget;
    int levels;  // 0: continuous scores; else this many distinct values (ties)
  };

  for (const Case& c :
       {Case{8, 120, 72, 0}, Case{32, 8184, 128, 0}, Case{32, 8184, 1024, 0}, Case{8, 500, 64, 7},
        Case{24, 3000, 256, 3}, Case{4, 40, 8, 0}, Case{4, 40, 48, 5}}) {
    const int32_t window = 8;
    std::vector<uint16_t> scores(c.segments * c.n);
    std::exponential_distribution<float> e(3.0f);
    for (size_t i = 0; i < scores.size(); ++i) {
      float v = c.levels > 0 ? static_cast<float>(rng() % c.levels) * 0.25f : e(rng) * 0.01f;
      if (i % 97 == 0) {
        v = 0.0f;
      }
      scores[i] = float_to_f16(v);
    }
    const int32_t keep = c.budget - window;
    EXPECT_EQ(device_counts(scores, c.segments, c.n, keep),
              host_counts(scores, c.segments, c.n, c.budget, window))
        << c.segments << " segments, n " << c.n << ", budget " << c.budget << ", levels "
        << c.levels;
  }
}

TEST(AdaCountsTest, RefusesAKeepBeyondThePrefix) {
  AdaCountsParams p;
  p.num_segments = 2;
  p.n = 10;
  p.keep = 11;
  int32_t dummy = 0;
  p.counts = &dummy;
  p.scores = &dummy;
  p.sorted = &dummy;
  p.workspace = &dummy;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hkv::kernels
