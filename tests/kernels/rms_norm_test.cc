// launch_rms_norm on the device vs reference::rms_norm, with and without the fused residual add,
// over dtypes and widths (including an odd one). Validation runs without a GPU.
#include "kernels/rms_norm.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(RmsNormValidateTest, RejectsBadParams) {
  float dummy[4];
  RmsNormParams p{dummy, dummy, nullptr, dummy, 2, 4, 1e-5f, DType::kF16};
  EXPECT_TRUE(p.validate().ok());
  p.hidden = 0;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
  p.hidden = 4;
  p.weight = nullptr;
  EXPECT_NE(p.validate().message().find("weight"), std::string::npos);
  p.weight = dummy;
  p.dtype = DType::kI32;
  EXPECT_EQ(launch_rms_norm(p, nullptr).code(), StatusCode::kUnimplemented);
}

using RmsParam = std::tuple<DType, int /*hidden*/, bool /*residual*/>;

class RmsNormGpuTest : public ::testing::TestWithParam<RmsParam> {};

TEST_P(RmsNormGpuTest, MatchesReference) {
  HKV_SKIP_IF_NO_GPU();
  const auto [dtype, hidden, with_residual] = GetParam();
  const int rows = 7;
  auto x = testing::random_values(rows * hidden, dtype, 1, 2.0f);
  auto residual = testing::random_values(rows * hidden, dtype, 2);
  auto weight = testing::random_values(hidden, dtype, 3);
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_x, testing::upload(x, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_res, testing::upload(residual, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_w, testing::upload(weight, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_out, DeviceBuffer<uint8_t>::allocate(d_x.size()));
  RmsNormParams p{d_out.data(), d_x.data(), with_residual ? d_res.data() : nullptr,
                  d_w.data(),   rows,       hidden,
                  1e-5f,        dtype};
  HKV_ASSERT_OK(launch_rms_norm(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, testing::download(d_out, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got_res, testing::download(d_res, dtype, stream.get()));
  auto want = reference::rms_norm(x, with_residual ? &residual : nullptr, weight, rows, hidden,
                                  1e-5f, dtype);
  EXPECT_TRUE(testing::all_close(got, want, testing::tolerance_for(dtype)));
  EXPECT_EQ(got_res, residual);  // the residual sum is one exact rounding on both sides
}

INSTANTIATE_TEST_SUITE_P(
    Shapes,
    RmsNormGpuTest,
    ::testing::Combine(::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                       ::testing::Values(64, 1000, 4096, 9000),  // 9000: past the register kernel
                       ::testing::Bool()),
    [](const auto& info) {
      return std::string(dtype_name(std::get<0>(info.param))) + "_h" +
             std::to_string(std::get<1>(info.param)) + (std::get<2>(info.param) ? "_residual" : "");
    });

}  // namespace
}  // namespace hkv::kernels
