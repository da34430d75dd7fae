// CPU-only checks of the selection references (run in CI): window_score against hand-computed
// cases and against a float64 implementation of ALGORITHMS.md §0.4 with the same dtype roundings;
// topk_select against hand-computed orders and a brute-force (score desc, index asc) sort.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/reference/reference_ops.h"
#include "tests/kernels/kernel_test_util.h"

namespace hkv::kernels {
namespace {

using reference::round_to;
using reference::WindowScoreArgs;

// §0.4 written the obvious way in double: every dot, exp and sum in float64, rounded to the dtype
// only where the reference (and torch) stores a 16-bit tensor.
std::vector<float> window_score_f64(const std::vector<float>& q,
                                    const std::vector<float>& k,
                                    const WindowScoreArgs& a) {
  const int64_t L = a.num_tokens, w = a.window, D = a.head_dim, N = L - w;
  const int group = a.num_q_heads / a.num_kv_heads;
  const float mask = a.dtype == DType::kF16 ? -65504.0f : -3.3895313892515355e38f;
  std::vector<float> out(a.num_q_heads * N);
  for (int h = 0; h < a.num_q_heads; ++h) {
    std::vector<double> col(N, 0.0);
    for (int64_t i = 0; i < w; ++i) {
      std::vector<double> x(L);
      for (int64_t j = 0; j < L; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < D; ++d) {
          dot += static_cast<double>(q[(h * w + i) * D + d]) * k[((h / group) * L + j) * D + d];
        }
        float v = round_to(round_to(static_cast<float>(dot), a.dtype) /
                               static_cast<float>(std::sqrt(static_cast<double>(D))),
                           a.dtype);
        if (j >= N && j - N > i) {
          v = round_to(v + mask, a.dtype);
        }
        x[j] = v;
      }
      const double m = *std::max_element(x.begin(), x.end());
      double sum = 0;
      for (double v : x) {
        sum += std::exp(v - m);
      }
      for (int64_t j = 0; j < N; ++j) {
        col[j] += round_to(static_cast<float>(std::exp(x[j] - m) / sum), a.dtype);
      }
    }
    std::vector<double> red(N);
    for (int64_t j = 0; j < N; ++j) {
      red[j] = round_to(static_cast<float>(a.reduce == ScoreReduce::kMean ? col[j] / w : col[j]),
                        a.dtype);
    }
    const int64_t r = a.kernel_size / 2;
    for (int64_t j = 0; j < N; ++j) {
      double v = a.pool == ScorePool::kMax ? -INFINITY : 0.0;
      for (int64_t t = j - r; t <= j + r; ++t) {
        if (t < 0 || t >= N) {
          continue;  // -inf padding for max, zero padding for avg
        }
        v = a.pool == ScorePool::kMax ? std::max(v, red[t]) : v + red[t];
      }
      out[h * N + j] = a.pool == ScorePool::kMax
                           ? static_cast<float>(v)
                           : round_to(static_cast<float>(v / a.kernel_size), a.dtype);
    }
  }
  return out;
}

TEST(ReferenceWindowScoreTest, UniformLogitsHandComputed) {
  // q = 0: every visible logit is 0. w = 2, L = 3: row 0 sees keys 0..1 (p = 1/2), row 1 sees all
  // three (p = fp16(1/3)). Prefix = key 0 only.
  WindowScoreArgs a{1, 1, 2, 8, 3, 1, ScoreReduce::kSum, ScorePool::kMax, DType::kF16};
  std::vector<float> q(2 * 8, 0.0f);
  auto k = testing::random_values(3 * 8, DType::kF16, 1);
  const float third = round_to(1.0f / 3.0f, DType::kF16);
  auto sum = reference::window_score(q, k, a);
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_EQ(sum[0], round_to(0.5f + third, DType::kF16));
  a.reduce = ScoreReduce::kMean;
  EXPECT_EQ(reference::window_score(q, k, a)[0], round_to((0.5f + third) / 2, DType::kF16));
  // L = w + 1 with w = 1: a single prefix column seen with one window key: p = 1/2.
  WindowScoreArgs b{1, 1, 1, 8, 2, 7, ScoreReduce::kMean, ScorePool::kMax, DType::kF16};
  std::vector<float> k2(k.begin(), k.begin() + 2 * 8);
  EXPECT_EQ(reference::window_score(std::vector<float>(8, 0.0f), k2, b)[0], 0.5f);
}

TEST(ReferenceWindowScoreTest, MaxPoolMakesPlateausAndAvgPoolCountsPadding) {
  // One dominant key at position 5 of the prefix: maxpool(7) spreads its score over 2..8.
  WindowScoreArgs a{1, 1, 1, 8, 21, 7, ScoreReduce::kSum, ScorePool::kMax, DType::kF16};
  std::vector<float> q(8, 0.0f);
  q[0] = 4.0f;
  std::vector<float> k(21 * 8, 0.0f);
  k[5 * 8] = 4.0f;  // logit 16 / sqrt(8) = 5.66 vs 0 elsewhere
  auto s = reference::window_score(q, k, a);
  ASSERT_EQ(s.size(), 20u);
  for (int j = 0; j < 20; ++j) {
    if (j >= 2 && j <= 8) {
      EXPECT_EQ(s[j], s[5]) << j;
    } else {
      EXPECT_LT(s[j], s[5]) << j;
    }
  }
  a.pool = ScorePool::kAvg;
  auto avg = reference::window_score(q, k, a);
  // Column 0 averages columns 0..3 plus three zero pads, divided by 7.
  a.pool = ScorePool::kMax;
  a.kernel_size = 1;
  auto raw = reference::window_score(q, k, a);
  EXPECT_EQ(avg[0], round_to((raw[0] + raw[1] + raw[2] + raw[3]) / 7.0f, DType::kF16));
}

struct F64Case {
  int32_t hq, hkv, w, d;
  int64_t L;
  int32_t kernel;
  ScoreReduce reduce;
  ScorePool pool;
  DType dtype;
};

TEST(ReferenceWindowScoreTest, MatchesFloat64Implementation) {
  const F64Case cases[] = {
      {4, 1, 8, 64, 9, 7, ScoreReduce::kMean, ScorePool::kMax, DType::kF16},
      {4, 2, 8, 128, 300, 7, ScoreReduce::kMean, ScorePool::kMax, DType::kF16},
      {2, 2, 8, 64, 100, 7, ScoreReduce::kSum, ScorePool::kMax, DType::kF16},
      {2, 1, 4, 64, 50, 5, ScoreReduce::kMean, ScorePool::kAvg, DType::kF16},
      {2, 1, 8, 128, 200, 7, ScoreReduce::kMean, ScorePool::kMax, DType::kBf16},
      {1, 1, 3, 64, 40, 3, ScoreReduce::kSum, ScorePool::kAvg, DType::kBf16},
  };
  int64_t total = 0, differ = 0;
  for (const F64Case& c : cases) {
    WindowScoreArgs a{c.hq, c.hkv, c.w, c.d, c.L, c.kernel, c.reduce, c.pool, c.dtype};
    // stddev 1 inputs over D dims: logits ~ N(0, 1) after the 1/sqrt(D) scale, a realistic spread.
    auto q = testing::random_values(c.hq * c.w * c.d, c.dtype, 11 + c.d, 1.0f);
    auto k = testing::random_values(c.hkv * c.L * c.d, c.dtype, 12 + c.L, 1.0f);
    auto got = reference::window_score(q, k, a);
    auto want = window_score_f64(q, k, a);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const int32_t ulps = testing::ulp_distance(got[i], want[i], c.dtype);
      EXPECT_LE(ulps, 2) << "case L=" << c.L << " index " << i << ": " << got[i] << " vs "
                         << want[i];
      differ += ulps != 0;
      ++total;
    }
  }
  // Float32 vs float64 dots and sums move a 16-bit rounding only rarely.
  EXPECT_LE(differ * 50, total) << differ << " of " << total << " scores differ";
  std::printf("window_score reference vs float64: %lld of %lld scores differ\n",
              static_cast<long long>(differ), static_cast<long long>(total));
}

TEST(ReferenceWindowScoreDeathTest, RejectsShortPrompt) {
  WindowScoreArgs a{1, 1, 8, 8, 8, 7, ScoreReduce::kMean, ScorePool::kMax, DType::kF16};
  EXPECT_DEATH(reference::window_score(std::vector<float>(64), std::vector<float>(64), a),
               "bad shape");
}

TEST(ReferenceTopkTest, HandComputedTiesAndPadding) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // seg 0: ties -> lower index first; seg 1: k > len pads with -1; seg 2: len 1; seg 3: empty;
  // seg 4: -0 == +0 and NaN first.
  std::vector<float> scores = {1, 3, 3, 2, 3, /**/ 5, 5, /**/ 7, /**/ -0.0f, 0.0f, nan, -1};
  std::vector<int32_t> cu_lens = {0, 5, 7, 8, 8, 12};
  std::vector<int32_t> cu_k = testing::prefix_sums({3, 4, 1, 2, 4});
  auto out = reference::topk_select(scores, cu_lens, cu_k);
  EXPECT_EQ(out, (std::vector<int32_t>{1, 2, 4, 0, 1, -1, -1, 0, -1, -1, 2, 0, 1, 3}));
}

TEST(ReferenceTopkTest, MatchesBruteForceOnTieHeavyScores) {
  std::mt19937 rng(5);
  std::vector<int32_t> lens = {1, 2, 7, 8, 9, 1000, 4097};
  std::vector<int32_t> ks = {1, 5, 7, 3, 9, 1000, 1016};
  auto cu_lens = testing::prefix_sums(lens);
  auto cu_k = testing::prefix_sums(ks);
  std::vector<float> scores(cu_lens.back());
  for (float& v : scores) {
    v = round_to(static_cast<float>(rng() % 16) / 64.0f, DType::kF16);  // 16 distinct values
  }
  auto out = reference::topk_select(scores, cu_lens, cu_k);
  for (size_t s = 0; s < lens.size(); ++s) {
    std::vector<int32_t> idx(lens[s]);
    std::iota(idx.begin(), idx.end(), 0);
    const float* seg = scores.data() + cu_lens[s];
    std::sort(idx.begin(), idx.end(),
              [seg](int32_t a, int32_t b) { return seg[a] != seg[b] ? seg[a] > seg[b] : a < b; });
    for (int32_t r = 0; r < ks[s]; ++r) {
      EXPECT_EQ(out[cu_k[s] + r], r < lens[s] ? idx[r] : -1) << "segment " << s << " rank " << r;
    }
  }
}

}  // namespace
}  // namespace hkv::kernels
