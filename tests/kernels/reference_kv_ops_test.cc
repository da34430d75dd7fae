// CPU-only checks of the per-head KV references (run in CI): kv_gather / kv_append on hand-built
// layouts (reference and gqa), their error flags, and decode attention against closed forms and a
// brute-force double softmax.
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/reference/reference_ops.h"
#include "tests/kernels/kernel_test_util.h"

namespace hkv::kernels {
namespace {

// Source row value that encodes (kv head, position, dim).
float tag(int head, int pos, int d) {
  return static_cast<float>(head * 1000 + pos * 10 + d);
}

std::vector<float> tagged_source(int heads, int tokens, int dim) {
  std::vector<float> src(heads * tokens * dim);
  for (int h = 0; h < heads; ++h) {
    for (int t = 0; t < tokens; ++t) {
      for (int d = 0; d < dim; ++d) {
        src[(h * tokens + t) * dim + d] = tag(h, t, d);
      }
    }
  }
  return src;
}

TEST(ReferenceKvGatherTest, ReferenceLayoutKeptThenTail) {
  // 2 kv heads, group 2 -> 4 segments; 10 tokens; window (tail) = last 2 rows.
  const int dim = 4, tokens = 10;
  auto src = tagged_source(2, tokens, dim);
  reference::KvLayout layout{testing::prefix_sums({5, 4, 3, 6}), 2, dim};
  std::vector<int32_t> kept = {7, 1, 3, /**/ 0, /**/ 5, /**/ 2, 4};
  auto cu_kept = testing::prefix_sums({3, 1, 1, 2});
  const float sentinel = -7.0f;
  std::vector<float> k(layout.cu_capacity.back() * dim, sentinel), v = k;
  std::vector<int32_t> lens;
  const bool error =
      reference::kv_gather(src, src, tokens, kept, cu_kept, 8, 2, layout, &k, &v, &lens);
  EXPECT_FALSE(error);
  EXPECT_EQ(lens, (std::vector<int32_t>{5, 3, 3, 4}));
  const std::vector<std::vector<int>> want_pos = {
      {7, 1, 3, 8, 9}, {0, 8, 9}, {5, 8, 9}, {2, 4, 8, 9}};
  for (int s = 0; s < 4; ++s) {
    for (size_t r = 0; r < want_pos[s].size(); ++r) {
      for (int d = 0; d < dim; ++d) {
        EXPECT_EQ(k[(layout.cu_capacity[s] + r) * dim + d], tag(s / 2, want_pos[s][r], d));
      }
    }
    for (int r = lens[s]; r < layout.cu_capacity[s + 1] - layout.cu_capacity[s]; ++r) {
      EXPECT_EQ(k[(layout.cu_capacity[s] + r) * dim], sentinel) << "room for appends untouched";
    }
  }
  EXPECT_EQ(k, v);
}

TEST(ReferenceKvGatherTest, ErrorsSkipRows) {
  const int dim = 2, tokens = 4;
  auto src = tagged_source(1, tokens, dim);
  reference::KvLayout layout{{0, 2}, 1, dim};
  std::vector<float> k(4, 0.0f), v = k;
  std::vector<int32_t> lens;
  // Out-of-range position.
  EXPECT_TRUE(reference::kv_gather(src, src, tokens, {4}, {0, 1}, 0, 0, layout, &k, &v, &lens));
  // Over capacity: 2 kept + 1 tail into 2 rows; the first two are written.
  EXPECT_TRUE(reference::kv_gather(src, src, tokens, {3, 2}, {0, 2}, 3, 1, layout, &k, &v, &lens));
  EXPECT_EQ(lens, (std::vector<int32_t>{2}));
  EXPECT_EQ(k, (std::vector<float>{tag(0, 3, 0), tag(0, 3, 1), tag(0, 2, 0), tag(0, 2, 1)}));
}

TEST(ReferenceKvAppendTest, AppendsAtSegmentEndsAndFlagsFullSegments) {
  const int dim = 2;
  reference::KvLayout layout{{0, 3, 4, 6}, 1, dim};  // gqa: segment s reads new row s
  std::vector<float> k(6 * dim, 0.0f), v = k;
  std::vector<int32_t> lens = {1, 1, 0};
  std::vector<float> k_new = {1, 2, 3, 4, 5, 6}, v_new = {-1, -2, -3, -4, -5, -6};
  EXPECT_TRUE(reference::kv_append(k_new, v_new, layout, &k, &v, &lens));  // segment 1 is full
  EXPECT_EQ(lens, (std::vector<int32_t>{2, 1, 1}));
  EXPECT_EQ(k, (std::vector<float>{0, 0, 1, 2, 0, 0, 0, 0, 5, 6, 0, 0}));
  EXPECT_EQ(v[2], -1.0f);
  reference::KvLayout grouped{{0, 2, 4}, 2, dim};  // reference layout: both read new row 0
  std::vector<float> k2(4 * dim, 0.0f), v2 = k2;
  std::vector<int32_t> lens2 = {0, 1};
  EXPECT_FALSE(reference::kv_append(k_new, v_new, grouped, &k2, &v2, &lens2));
  EXPECT_EQ(k2, (std::vector<float>{1, 2, 0, 0, 0, 0, 1, 2}));
}

TEST(ReferenceSegmentCapacityTest, AddsClampedDeviceCountsAndCutsAtTheAllocation) {
  // Segment 0: 10 rows; 1: 4 + clamp(7, 0, 5) = 9; 2: 2 + clamp(-3, 0, 8) = 2; 3: 1 + 6 = 7.
  const std::vector<int32_t> base = {10, 4, 2, 1}, index = {-1, 2, 0, 1}, bound = {0, 5, 8, 9};
  const std::vector<int32_t> counts = {-3, 6, 7};
  std::vector<int32_t> cu, kept(3, -1);
  EXPECT_FALSE(reference::segment_capacity(base, index, bound, counts, 100, &cu, &kept));
  EXPECT_EQ(cu, (std::vector<int32_t>{0, 10, 19, 21, 28}));
  EXPECT_EQ(kept, (std::vector<int32_t>{0, 6, 5}));
  EXPECT_TRUE(reference::segment_capacity(base, index, bound, counts, 20, &cu, &kept));
  EXPECT_EQ(cu, (std::vector<int32_t>{0, 10, 19, 20, 20}));
}

TEST(ReferenceAttentionDecodeTest, ClosedForms) {
  const int dim = 64;
  // Segment of length 1: the output is that V row. Zero query: the mean of the V rows.
  auto v = testing::random_values(4 * dim, DType::kF32, 3);
  auto k = testing::random_values(4 * dim, DType::kF32, 4);
  std::vector<float> q(2 * dim, 0.0f);
  auto out = reference::attention_decode(q, k, v, {0, 1, 4}, {}, 1, dim, 0.125f, DType::kF32);
  for (int d = 0; d < dim; ++d) {
    EXPECT_EQ(out[d], v[d]);
    EXPECT_NEAR(out[dim + d], (v[dim + d] + v[2 * dim + d] + v[3 * dim + d]) / 3.0, 1e-6);
  }
  // kv_lens shorter than capacity: rows past the length (NaN here) are never read; length 0 -> 0.
  std::vector<float> k_nan = k, v_nan = v;
  for (int d = 0; d < dim; ++d) {
    k_nan[3 * dim + d] = v_nan[3 * dim + d] = std::numeric_limits<float>::quiet_NaN();
  }
  auto part =
      reference::attention_decode(q, k_nan, v_nan, {0, 1, 4}, {0, 2}, 1, dim, 0.125f, DType::kF32);
  for (int d = 0; d < dim; ++d) {
    EXPECT_EQ(part[d], 0.0f);
    EXPECT_NEAR(part[dim + d], (v[dim + d] + v[2 * dim + d]) / 2.0, 1e-6);
  }
}

TEST(ReferenceAttentionDecodeTest, MatchesBruteForceWithGqa) {
  for (int dim : {64, 128}) {
    const int segments = 2, per = 4, rows = 37;
    auto q = testing::random_values(segments * per * dim, DType::kBf16, 5);
    auto k = testing::random_values(2 * rows * dim, DType::kBf16, 6);
    auto v = testing::random_values(2 * rows * dim, DType::kBf16, 7);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dim));
    auto out = reference::attention_decode(q, k, v, {0, rows, 2 * rows}, {rows, 20}, per, dim,
                                           scale, DType::kBf16);
    for (int qi = 0; qi < segments * per; ++qi) {
      const int s = qi / per, len = s == 0 ? rows : 20;
      std::vector<double> p(len);
      double sum = 0;
      for (int r = 0; r < len; ++r) {
        double dot = 0;
        for (int d = 0; d < dim; ++d) {
          dot += static_cast<double>(q[qi * dim + d]) * k[(s * rows + r) * dim + d];
        }
        p[r] = std::exp(dot * scale);
        sum += p[r];
      }
      for (int d = 0; d < dim; ++d) {
        double o = 0;
        for (int r = 0; r < len; ++r) {
          o += p[r] / sum * v[(s * rows + r) * dim + d];
        }
        EXPECT_NEAR(out[qi * dim + d], o, 1e-2 * std::fabs(o) + 1e-3) << qi << "," << d;
        EXPECT_EQ(out[qi * dim + d], reference::round_to(out[qi * dim + d], DType::kBf16));
      }
    }
  }
}

}  // namespace
}  // namespace hkv::kernels
