// CPU-only checks of the float32 references (run in CI): convert and the element-wise ops
// (rms_norm, rope, silu_mul, argmax) against hand-computed and double-precision values.
#include "kernels/reference/reference_ops.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "tests/kernels/kernel_test_util.h"

namespace hkv::kernels {
namespace {

std::vector<uint8_t> as_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

TEST(ReferenceConvertTest, F32ToBf16AndBack) {
  std::vector<float> in = {1.0f, -2.5f, 3.140625f, 0.0f};
  auto bf16 = reference::convert(as_bytes(in), 4, DType::kF32, DType::kBf16);
  ASSERT_EQ(bf16.size(), 8u);
  uint16_t first;
  std::memcpy(&first, bf16.data(), 2);
  EXPECT_EQ(first, 0x3f80);
  auto back = reference::convert(bf16, 4, DType::kBf16, DType::kF32);
  std::vector<float> got(4);
  std::memcpy(got.data(), back.data(), 16);
  EXPECT_EQ(got, in);  // all exactly representable in bf16
}

TEST(ReferenceConvertTest, F16Rounds) {
  auto f16 =
      reference::convert(as_bytes({65519.0f, 1.0f + 0.00048828125f}), 2, DType::kF32, DType::kF16);
  uint16_t v[2];
  std::memcpy(v, f16.data(), 4);
  EXPECT_EQ(v[0], 0x7bff);
  EXPECT_EQ(v[1], 0x3c00);
}

TEST(ReferenceConvertDeathTest, SizeMismatchAborts) {
  EXPECT_DEATH(reference::convert(std::vector<uint8_t>(3), 1, DType::kF32, DType::kF16),
               "3 input bytes for 1 elements");
}

TEST(ReferenceRoundTest, RoundsToDtype) {
  EXPECT_EQ(reference::round_to(1.0f + 1.0f / 4096, DType::kF16), 1.0f);
  EXPECT_EQ(reference::round_to(1.0f + 1.0f / 256, DType::kBf16), 1.0f);
  EXPECT_EQ(reference::round_to(0.1f, DType::kF32), 0.1f);
  EXPECT_EQ(reference::round_to(1e6f, DType::kF16), INFINITY);
}

double rms_norm_double(
    const std::vector<float>& x, size_t base, int hidden, int i, float w, float eps) {
  double ss = 0;
  for (int j = 0; j < hidden; ++j) {
    ss += static_cast<double>(x[base + j]) * x[base + j];
  }
  return x[base + i] / std::sqrt(ss / hidden + eps) * w;
}

TEST(ReferenceRmsNormTest, HandComputedF32) {
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> w = {1, 1, 1, 2};
  auto out = reference::rms_norm(x, nullptr, w, 1, 4, 0.0f, DType::kF32);
  const double inv = 1.0 / std::sqrt(7.5);  // mean(1, 4, 9, 16) = 7.5
  EXPECT_NEAR(out[0], 1 * inv, 1e-7);
  EXPECT_NEAR(out[3], 8 * inv, 1e-6);
}

TEST(ReferenceRmsNormTest, MatchesDoubleWithinOneUlpPerRounding) {
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBf16}) {
    const int rows = 3;
    const int hidden = 64;
    auto x = testing::random_values(rows * hidden, dtype, 1, 3.0f);
    auto w = testing::random_values(hidden, dtype, 2);
    auto out = reference::rms_norm(x, nullptr, w, rows, hidden, 1e-5f, dtype);
    std::vector<float> want(out.size());
    for (int r = 0; r < rows; ++r) {
      for (int i = 0; i < hidden; ++i) {
        want[r * hidden + i] =
            static_cast<float>(rms_norm_double(x, r * hidden, hidden, i, w[i], 1e-5f));
      }
    }
    EXPECT_TRUE(testing::all_close(out, want, testing::tolerance_for(dtype))) << dtype_name(dtype);
    for (float v : out) {
      EXPECT_EQ(v, reference::round_to(v, dtype));
    }
  }
}

TEST(ReferenceRmsNormTest, ResidualIsAddedAndUpdated) {
  const DType dtype = DType::kBf16;
  auto x = testing::random_values(2 * 32, dtype, 3);
  auto r = testing::random_values(2 * 32, dtype, 4);
  auto w = testing::random_values(32, dtype, 5);
  std::vector<float> sum(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    sum[i] = reference::round_to(x[i] + r[i], dtype);
  }
  auto fused = reference::rms_norm(x, &r, w, 2, 32, 1e-6f, dtype);
  EXPECT_EQ(r, sum);
  EXPECT_EQ(fused, reference::rms_norm(sum, nullptr, w, 2, 32, 1e-6f, dtype));
}

TEST(ReferenceRopeTest, PositionZeroIsIdentity) {
  auto x = testing::random_values(2 * 3 * 8, DType::kF16, 6);
  auto y = x;
  std::vector<float> inv_freq = {1.0f, 0.1f, 0.01f, 0.001f};
  reference::rope(y, {0, 0}, inv_freq, 2, 3, 8, DType::kF16);
  EXPECT_EQ(x, y);
}

TEST(ReferenceRopeTest, RotatesPairsLikeDouble) {
  const int tokens = 3, heads = 2, dim = 64;
  auto x = testing::random_values(tokens * heads * dim, DType::kF32, 7);
  std::vector<float> inv_freq(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    inv_freq[i] = static_cast<float>(1.0 / std::pow(500000.0, 2.0 * i / dim));
  }
  std::vector<int64_t> pos = {1, 17, 131071};
  auto y = x;
  reference::rope(y, pos, inv_freq, tokens, heads, dim, DType::kF32);
  for (int t = 0; t < tokens; ++t) {
    for (int h = 0; h < heads; ++h) {
      const int base = (t * heads + h) * dim;
      for (int i = 0; i < dim / 2; ++i) {
        const double a = static_cast<double>(static_cast<float>(pos[t]) * inv_freq[i]);
        const double x1 = x[base + i], x2 = x[base + i + dim / 2];
        EXPECT_NEAR(y[base + i], x1 * std::cos(a) - x2 * std::sin(a), 1e-5);
        EXPECT_NEAR(y[base + i + dim / 2], x2 * std::cos(a) + x1 * std::sin(a), 1e-5);
      }
    }
  }
}

TEST(ReferenceRopeTest, QuarterTurn) {
  std::vector<float> x = {1.0f, 0.0f};  // head_dim 2: (x1, x2)
  reference::rope(x, {1}, {static_cast<float>(M_PI / 2)}, 1, 1, 2, DType::kF16);
  EXPECT_NEAR(x[0], 0.0f, 1e-7);  // fp16(cos(pi/2)) is the smallest subnormal, not 0
  EXPECT_EQ(x[1], 1.0f);
}

TEST(ReferenceSiluMulTest, HandComputed) {
  auto out = reference::silu_mul({0.0f, 1.0f, -2.0f}, {5.0f, 2.0f, 1.0f}, DType::kF32);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_NEAR(out[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_NEAR(out[2], -2.0 / (1.0 + std::exp(2.0)), 1e-6);
  auto h = reference::silu_mul({1.0f}, {3.0f}, DType::kF16);
  // fp16(silu(1)) = fp16(0.7310586) = 0.73095703125, times 3 = 2.19287109375 -> fp16 2.193359375
  EXPECT_EQ(h[0], reference::round_to(0.73095703125f * 3.0f, DType::kF16));
}

TEST(ReferenceArgmaxTest, TiesNanAndInfinities) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> logits = {
      1,    3,    3,    2,      // tie -> 1
      -inf, -inf, -inf, -inf,   // all -inf -> 0
      0,    nan,  5,    nan,    // first NaN -> 1
      -1,   -2,   -3,   -0.5f,  // -> 3
  };
  EXPECT_EQ(reference::argmax(logits, 4, 4), (std::vector<int32_t>{1, 0, 1, 3}));
  EXPECT_EQ(reference::argmax({7.0f}, 1, 1), (std::vector<int32_t>{0}));
}

}  // namespace
}  // namespace hkv::kernels
