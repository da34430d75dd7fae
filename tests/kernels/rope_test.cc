// launch_rope on the device vs reference::rope: dtypes, head_dim 64/128, positions up to 131072,
// packed and strided (fused qkv row) layouts. Validation runs without a GPU.
#include "kernels/rope.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(RopeValidateTest, RejectsBadParams) {
  float dummy[4];
  int64_t pos[1] = {0};
  RopeParams p{dummy, pos, dummy, 1, 2, 8, 16, 8, DType::kBf16};
  EXPECT_TRUE(p.validate().ok()) << p.validate().to_string();
  p.head_dim = 7;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
  p.head_dim = 8;
  p.token_stride = 8;  // overlaps the second head
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
}

using RopeParam = std::tuple<DType, int /*head_dim*/, bool /*strided*/>;

class RopeGpuTest : public ::testing::TestWithParam<RopeParam> {};

TEST_P(RopeGpuTest, MatchesReference) {
  HKV_SKIP_IF_NO_GPU();
  const auto [dtype, dim, strided] = GetParam();
  const int tokens = 37, heads = 4;
  std::vector<int64_t> pos(tokens);
  for (int t = 0; t < tokens; ++t) {
    pos[t] = t < 30 ? t : 131072 - t;  // small and large angles
  }
  std::vector<float> inv_freq(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    inv_freq[i] = static_cast<float>(1.0 / std::pow(500000.0, 2.0 * i / dim));
  }
  auto x = testing::random_values(tokens * heads * dim, dtype, 4);
  // Strided: each token row holds 2 * heads heads (as in a fused q|k buffer); we rotate the first.
  const int row_heads = strided ? 2 * heads : heads;
  std::vector<float> buf(tokens * row_heads * dim, 0.5f);
  for (int t = 0; t < tokens; ++t) {
    std::copy_n(x.begin() + t * heads * dim, heads * dim, buf.begin() + t * row_heads * dim);
  }
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_x, testing::upload(buf, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_pos, testing::upload_ints(pos, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_freq, testing::upload(inv_freq, DType::kF32, stream.get()));
  RopeParams p{d_x.data(), d_pos.data(), reinterpret_cast<const float*>(d_freq.data()), tokens,
               heads,      dim,          static_cast<int64_t>(row_heads) * dim,         dim,
               dtype};
  HKV_ASSERT_OK(launch_rope(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got_buf, testing::download(d_x, dtype, stream.get()));
  reference::rope(x, pos, inv_freq, tokens, heads, dim, dtype);
  std::vector<float> got(x.size());
  for (int t = 0; t < tokens; ++t) {
    std::copy_n(got_buf.begin() + t * row_heads * dim, heads * dim, got.begin() + t * heads * dim);
    for (int e = heads * dim; e < row_heads * dim; ++e) {
      ASSERT_EQ(got_buf[t * row_heads * dim + e], 0.5f) << "untouched head written, token " << t;
    }
  }
  EXPECT_TRUE(testing::all_close(got, x, testing::tolerance_for(dtype)));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes,
    RopeGpuTest,
    ::testing::Combine(::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                       ::testing::Values(64, 128),
                       ::testing::Bool()),
    [](const auto& info) {
      return std::string(dtype_name(std::get<0>(info.param))) + "_d" +
             std::to_string(std::get<1>(info.param)) + (std::get<2>(info.param) ? "_strided" : "");
    });

}  // namespace
}  // namespace hkv::kernels
