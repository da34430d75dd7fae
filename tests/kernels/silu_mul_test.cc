// launch_silu_mul on the device vs reference::silu_mul, on a fused [gate | up] buffer (strided
// rows), over dtypes and widths that take the 16-byte vector path (1000) or the scalar one (1003).
// Validation runs without a GPU.
#include "kernels/silu_mul.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(SiluMulValidateTest, RejectsBadParams) {
  float dummy[4];
  SiluMulParams p{dummy, dummy, dummy, 1, 4, 8, 8, DType::kF16};
  EXPECT_TRUE(p.validate().ok());
  p.up_row_stride = 3;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
}

// HKV_ASSERT_* return from the function on failure, so the check lives in a void helper.
void check_fused_rows(DType dtype, int rows, int width) {
  auto fused = testing::random_values(rows * 2 * width, dtype, 9, 4.0f);
  std::vector<float> gate, up;
  for (int r = 0; r < rows; ++r) {
    gate.insert(gate.end(), fused.begin() + r * 2 * width, fused.begin() + r * 2 * width + width);
    up.insert(up.end(), fused.begin() + r * 2 * width + width, fused.begin() + (r + 1) * 2 * width);
  }
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_fused, testing::upload(fused, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_out,
                           DeviceBuffer<uint8_t>::allocate(rows * width * dtype_size(dtype)));
  const uint8_t* base = d_fused.data();
  SiluMulParams p{d_out.data(), base, base + width * dtype_size(dtype), rows, width, 2 * width,
                  2 * width,    dtype};
  HKV_ASSERT_OK(launch_silu_mul(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, testing::download(d_out, dtype, stream.get()));
  EXPECT_TRUE(
      testing::all_close(got, reference::silu_mul(gate, up, dtype), testing::tolerance_for(dtype)));
}

class SiluMulGpuTest : public ::testing::TestWithParam<DType> {};

TEST_P(SiluMulGpuTest, MatchesReferenceOnFusedRows) {
  HKV_SKIP_IF_NO_GPU();
  for (const int width : {1000, 1003}) {
    SCOPED_TRACE(width);
    check_fused_rows(GetParam(), 5, width);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes,
                         SiluMulGpuTest,
                         ::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace hkv::kernels
