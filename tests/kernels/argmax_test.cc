// launch_argmax on the device vs reference::argmax, exactly: ties to the lowest index, NaN, rows
// of -inf, vocab sizes 1, 7 and 128256. Validation runs without a GPU.
#include "kernels/argmax.h"

#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(ArgmaxValidateTest, RejectsBadParams) {
  int32_t out[1];
  float logits[4];
  ArgmaxParams p{out, logits, 1, 4, 4, DType::kF32};
  EXPECT_TRUE(p.validate().ok());
  p.row_stride = 3;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
}

using ArgmaxParam = std::tuple<DType, int /*vocab*/>;

class ArgmaxGpuTest : public ::testing::TestWithParam<ArgmaxParam> {};

TEST_P(ArgmaxGpuTest, MatchesReferenceExactly) {
  HKV_SKIP_IF_NO_GPU();
  const auto [dtype, vocab] = GetParam();
  const int rows = 6;
  std::mt19937 rng(vocab);
  std::vector<float> logits(rows * vocab);
  for (float& v : logits) {
    v = reference::round_to(static_cast<float>(rng() % 50) / 4.0f, dtype);  // many ties
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (int i = 0; i < vocab; ++i) {
    logits[1 * vocab + i] = -inf;  // row 1: all -inf -> 0
    logits[2 * vocab + i] = 1.0f;  // row 2: all equal -> 0
  }
  logits[3 * vocab + vocab / 2] = std::numeric_limits<float>::quiet_NaN();  // row 3: the NaN
  logits[4 * vocab + vocab - 1] = 100.0f;                                   // row 4: the last
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_logits, testing::upload(logits, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_out, DeviceBuffer<int32_t>::allocate(rows));
  ArgmaxParams p{d_out.data(), d_logits.data(), rows, vocab, vocab, dtype};
  HKV_ASSERT_OK(launch_argmax(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, testing::download_ints(d_out, stream.get()));
  EXPECT_EQ(got, reference::argmax(logits, rows, vocab));
}

INSTANTIATE_TEST_SUITE_P(
    Vocab,
    ArgmaxGpuTest,
    ::testing::Combine(::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                       ::testing::Values(1, 7, 128256)),
    [](const auto& info) {
      return std::string(dtype_name(std::get<0>(info.param))) + "_v" +
             std::to_string(std::get<1>(info.param));
    });

// The decode look-ahead's form: ids written in place and every row's position advanced by one.
TEST(ArgmaxAdvanceGpuTest, AdvancesEveryRowsPositionOnce) {
  HKV_SKIP_IF_NO_GPU();
  const int rows = 5, vocab = 33;
  std::vector<float> logits(rows * vocab, 0.0f);
  for (int r = 0; r < rows; ++r) {
    logits[r * vocab + (7 * r + 3) % vocab] = 1.0f;
  }
  const std::vector<int64_t> positions = {0, 9, 100, 4095, 1LL << 33};
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_logits, testing::upload(logits, DType::kF32, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_out, DeviceBuffer<int32_t>::allocate(rows));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_pos, DeviceBuffer<int64_t>::allocate(rows));
  HKV_ASSERT_OK(d_pos.copy_from_host(positions.data(), stream.get()));
  ArgmaxParams p{d_out.data(), d_logits.data(), rows, vocab, vocab, DType::kF32};
  p.advance_positions = d_pos.data();
  HKV_ASSERT_OK(launch_argmax(p, stream.get()));
  HKV_ASSERT_OK(launch_argmax(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got_pos, testing::download_ints(d_pos, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, testing::download_ints(d_out, stream.get()));
  for (int r = 0; r < rows; ++r) {
    EXPECT_EQ(got[r], (7 * r + 3) % vocab) << "row " << r;
    EXPECT_EQ(got_pos[r], positions[r] + 2) << "row " << r;
  }
}

}  // namespace
}  // namespace hkv::kernels
