// launch_convert on the device vs the host reference, bit-exact, over every dtype pair and edge
// sizes. Parameter validation needs no device and runs everywhere.
#include "kernels/convert.h"

#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(ConvertValidateTest, RejectsBadParams) {
  float dummy = 0;
  ConvertParams p{&dummy, &dummy, -1, DType::kF32, DType::kF16};
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
  p = {nullptr, &dummy, 4, DType::kF32, DType::kF16};
  EXPECT_NE(p.validate().message().find("null out pointer"), std::string::npos);
  p = {&dummy, &dummy, 4, DType::kI32, DType::kF16};
  EXPECT_EQ(p.validate().code(), StatusCode::kUnimplemented);
  p = {nullptr, nullptr, 0, DType::kF32, DType::kBf16};
  EXPECT_TRUE(p.validate().ok());
}

std::vector<uint8_t> random_input(int64_t n, DType dtype, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1000.0f);
  std::vector<float> f(n);
  for (auto& v : f) {
    v = dist(rng) * (rng() % 2 ? 1e-6f : 1.0f);
  }
  std::vector<uint8_t> raw(n * 4);
  std::memcpy(raw.data(), f.data(), raw.size());
  return dtype == DType::kF32 ? raw : reference::convert(raw, n, DType::kF32, dtype);
}

using ConvertCase = std::tuple<DType, DType, int64_t>;

class ConvertGpuTest : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(ConvertGpuTest, MatchesReferenceBitExactly) {
  HKV_SKIP_IF_NO_GPU();
  auto [in_dtype, out_dtype, n] = GetParam();
  std::vector<uint8_t> in = random_input(n, in_dtype, static_cast<uint32_t>(n));
  auto stream = CudaStream::create();
  ASSERT_TRUE(stream.ok()) << stream.status().to_string();
  auto d_in = DeviceBuffer<uint8_t>::allocate(in.size());
  auto d_out = DeviceBuffer<uint8_t>::allocate(n * dtype_size(out_dtype));
  ASSERT_TRUE(d_in.ok() && d_out.ok());
  ASSERT_TRUE(d_in->copy_from_host(in.data(), stream->get()).ok());
  ConvertParams p{d_out->data(), d_in->data(), n, in_dtype, out_dtype};
  ASSERT_TRUE(launch_convert(p, stream->get()).ok());
  std::vector<uint8_t> got(d_out->size());
  ASSERT_TRUE(d_out->copy_to_host(got.data(), stream->get()).ok());
  ASSERT_TRUE(stream->synchronize().ok());
  std::vector<uint8_t> want = reference::convert(in, n, in_dtype, out_dtype);
  ASSERT_EQ(got.size(), want.size());
  size_t elem = dtype_size(out_dtype);
  for (size_t i = 0; i < got.size(); i += elem) {
    ASSERT_EQ(std::memcmp(got.data() + i, want.data() + i, elem), 0)
        << "first mismatch at element " << i / elem;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Pairs,
    ConvertGpuTest,
    ::testing::Combine(::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                       ::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                       ::testing::Values<int64_t>(1, 255, 65536 * 3 + 7)),
    [](const auto& info) {
      return std::string(dtype_name(std::get<0>(info.param))) + "_to_" +
             dtype_name(std::get<1>(info.param)) + "_n" + std::to_string(std::get<2>(info.param));
    });

}  // namespace
}  // namespace hkv::kernels
