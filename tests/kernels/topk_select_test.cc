// launch_topk_select on the device vs reference::topk_select, exactly: tie-heavy scores (maxpool
// plateaus), -0/+0, k >= len, segment lengths from 1 to 100k. Validation runs without a GPU.
#include "kernels/topk_select.h"

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

TEST(TopkSelectValidateTest, RejectsBadParams) {
  int32_t dummy[4] = {};
  TopkSelectParams p{dummy, dummy, dummy, dummy, dummy, 1024, 1, 2, DType::kF16};
  EXPECT_TRUE(p.validate().ok()) << p.validate().to_string();
  p.dtype = DType::kF32;
  EXPECT_EQ(p.validate().code(), StatusCode::kUnimplemented);
  p.dtype = DType::kBf16;
  p.num_segments = 0;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
  p.num_segments = 1;
  p.cu_k = nullptr;
  EXPECT_NE(p.validate().message().find("cu_k"), std::string::npos);
}

struct TopkCase {
  const char* name;
  std::vector<int32_t> lens;
  std::vector<int32_t> ks;
  int distinct;  // number of distinct score values (few -> many ties); 0 = continuous
};

const std::vector<TopkCase>& cases() {
  static const std::vector<TopkCase> kCases = {
      {"tiny", {1, 2, 7, 8, 9}, {1, 2, 3, 8, 9}, 3},
      {"k_ge_len", {1, 2, 7, 8, 9}, {4, 5, 7, 20, 9}, 0},
      {"empty_segment", {0, 5, 0, 3}, {2, 2, 0, 1}, 2},
      {"all_equal", {1000, 33000}, {1000, 1016}, 1},
      {"plateaus", {1000, 33000, 4096, 7}, {500, 1016, 4096, 3}, 64},
      {"continuous", {33000, 33000, 1000, 2}, {1016, 33000, 10, 1}, 0},
      {"long", {100000, 131072, 1}, {2048, 100000, 1}, 512},
  };
  return kCases;
}

std::vector<float> make_scores(int64_t n, int distinct, DType dtype, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(n);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& x : v) {
    if (distinct > 0) {
      const int bucket = static_cast<int>(rng() % distinct);
      x = bucket == 0 ? ((rng() & 1) ? -0.0f : 0.0f)
                      : static_cast<float>(bucket - distinct / 2) / 8;
    } else {
      x = normal(rng);
    }
    x = reference::round_to(x, dtype);
  }
  return v;
}

using TopkParam = std::tuple<DType, int>;

class TopkSelectGpuTest : public ::testing::TestWithParam<TopkParam> {};

TEST_P(TopkSelectGpuTest, MatchesReferenceExactly) {
  HKV_SKIP_IF_NO_GPU();
  const auto [dtype, case_index] = GetParam();
  const TopkCase& c = cases()[case_index];
  auto cu_lens = testing::prefix_sums(c.lens);
  auto cu_k = testing::prefix_sums(c.ks);
  auto scores = make_scores(cu_lens.back(), c.distinct, dtype, 7 + case_index);
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_scores, testing::upload(scores, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu_lens, testing::upload_ints(cu_lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu_k, testing::upload_ints(cu_k, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_out,
                           DeviceBuffer<int32_t>::allocate(std::max<int32_t>(cu_k.back(), 1)));
  TopkSelectParams p;
  p.out = d_out.data();
  p.scores = d_scores.data();
  p.cu_lens = d_cu_lens.data();
  p.cu_k = d_cu_k.data();
  p.num_segments = static_cast<int32_t>(c.lens.size());
  p.total_len = cu_lens.back();
  p.dtype = dtype;
  HKV_ASSERT_OK_AND_ASSIGN(int64_t ws_bytes, topk_select_workspace_bytes(p));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_ws, DeviceBuffer<uint8_t>::allocate(ws_bytes));
  p.workspace = d_ws.data();
  p.workspace_bytes = ws_bytes;
  HKV_ASSERT_OK(launch_topk_select(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, testing::download_ints(d_out, stream.get()));
  got.resize(cu_k.back());
  auto want = reference::topk_select(scores, cu_lens, cu_k);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "first mismatch at output index " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases,
                         TopkSelectGpuTest,
                         ::testing::Combine(::testing::Values(DType::kF16, DType::kBf16),
                                            ::testing::Range(0, 7)),
                         [](const auto& info) {
                           return std::string(dtype_name(std::get<0>(info.param))) + "_" +
                                  cases()[std::get<1>(info.param)].name;
                         });

}  // namespace
}  // namespace hkv::kernels
