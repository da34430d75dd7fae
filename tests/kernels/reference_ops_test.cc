// CPU-only checks of the float32 references (run in CI).
#include "kernels/reference/reference_ops.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hkv::kernels
