// Host fp16/bf16 conversions: exhaustive round trips and known rounding cases.
#include "common/half.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hkv {
namespace {

TEST(HalfTest, F16RoundTripsEveryNonNanPattern) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    uint16_t bits = static_cast<uint16_t>(h);
    float f = f16_to_float(bits);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_float(float_to_f16(f))));
      continue;
    }
    ASSERT_EQ(float_to_f16(f), bits) << "pattern 0x" << std::hex << h;
  }
}

TEST(HalfTest, Bf16RoundTripsEveryNonNanPattern) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    uint16_t bits = static_cast<uint16_t>(h);
    float f = bf16_to_float(bits);
    if (std::isnan(f)) {
      continue;
    }
    ASSERT_EQ(float_to_bf16(f), bits) << "pattern 0x" << std::hex << h;
  }
}

TEST(HalfTest, F16KnownValues) {
  EXPECT_EQ(float_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(float_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(float_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_f16(65519.0f), 0x7bff);                 // rounds down to max
  EXPECT_EQ(float_to_f16(65520.0f), 0x7c00);                 // ties to even -> inf
  EXPECT_EQ(float_to_f16(5.9604644775390625e-8f), 0x0001);   // smallest subnormal
  EXPECT_EQ(float_to_f16(2.98023223876953125e-8f), 0x0000);  // half of it: ties to even (0)
  EXPECT_EQ(float_to_f16(2.9802326e-8f), 0x0001);            // just above half
  EXPECT_EQ(float_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  // 1 + 2^-11 is exactly between 1 and 1 + 2^-10: ties to even -> 1.
  EXPECT_EQ(float_to_f16(1.0f + 0.00048828125f), 0x3c00);
  EXPECT_EQ(float_to_f16(1.0f + 3 * 0.00048828125f), 0x3c02);
  // fp16 of 1/sqrt(128)-scaled logits as in ALGORITHMS.md §0.4 stays finite.
  EXPECT_FLOAT_EQ(f16_to_float(float_to_f16(11.3137085f)), 11.3125f);
}

TEST(HalfTest, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(bits_float(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(float_to_bf16(bits_float(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(float_to_bf16(bits_float(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
}

}  // namespace
}  // namespace hkv
