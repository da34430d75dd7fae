// launch_attention_decode on the device vs reference::attention_decode (double accumulation):
// f32/f16/bf16, head_dim 64/128, segment lengths 1 .. 100k (split-K and the combine pass), the
// reference (one query per segment) and gqa (4 queries per segment) layouts, kv_lens shorter than
// the capacity (NaN rows past the end must never be read), an undersized max_kv_len, GQA groups of
// 3 (implicit) and explicit groups over a query -> segment map (sizes 1 and 3, as a batch mixing
// per-query-head and per-KV-head caches has).
#include "kernels/attention_decode.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

AttentionDecodeParams valid_params() {
  static float dummy[64];
  AttentionDecodeParams p;
  p.out = p.workspace = dummy;
  p.q = p.k = p.v = dummy;
  p.cu_capacity = reinterpret_cast<const int32_t*>(dummy);
  p.num_queries = 8;
  p.num_segments = 2;
  p.queries_per_segment = 4;
  p.head_dim = 128;
  p.q_row_stride = 128;
  p.max_kv_len = 64;  // one split: no workspace
  p.softmax_scale = 0.088f;
  return p;
}

TEST(AttentionDecodeValidateTest, RejectsBadParams) {
  EXPECT_TRUE(valid_params().validate().ok()) << valid_params().validate().to_string();
  auto p = valid_params();
  p.head_dim = 96;
  EXPECT_EQ(p.validate().code(), StatusCode::kUnimplemented);
  EXPECT_NE(p.validate().message().find("head_dim=96 not compiled"), std::string::npos);
  p = valid_params();
  p.num_queries = 7;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
  p = valid_params();
  p.max_kv_len = 100000;  // needs split-K scratch
  p.workspace_bytes = 0;
  EXPECT_NE(p.validate().message().find("workspace"), std::string::npos);
  p.workspace_bytes = attention_decode_workspace_bytes(p);
  EXPECT_TRUE(p.validate().ok());
  EXPECT_GT(attention_decode_num_splits(p), 1);
  p = valid_params();
  static const int32_t groups[3] = {0, 4, 8};
  p.group_start = groups;  // explicit groups need a query -> segment map
  p.num_groups = 2;
  p.max_group = 4;
  EXPECT_NE(p.validate().message().find("group_start"), std::string::npos);
  p.query_segment = groups;
  EXPECT_TRUE(p.validate().ok()) << p.validate().to_string();
  p.max_group = kAttentionDecodeMaxGroup + 1;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
}

// The split count depends on the lengths and the group count only: few groups split long
// segments finely (to fill the GPU), many groups keep the 512-row splits.
TEST(AttentionDecodeValidateTest, SplitsFillTheGpuForFewGroups) {
  auto p = valid_params();  // 2 segments x 4 queries: 2 implicit groups
  p.max_kv_len = 8192;
  EXPECT_EQ(attention_decode_num_splits(p), 128);  // 64-row splits
  p.queries_per_segment = 1;
  p.num_segments = 8;
  p.num_queries = 8;                              // 8 groups of one
  EXPECT_EQ(attention_decode_num_splits(p), 48);  // 384 blocks: one wave at 3 per SM
  p.num_segments = p.num_queries = 384;           // a 12-config sweep: 512-row splits
  EXPECT_EQ(attention_decode_num_splits(p), 16);
}

struct DecodeCase {
  const char* name;
  std::vector<int32_t> lens;  // per segment
  int32_t queries_per_segment;
  bool tight_max;                         // false: pass max_kv_len = 1 (one split takes everything)
  std::vector<int32_t> group_start = {};  // non-empty: explicit groups over a query_segment map
};

const std::vector<DecodeCase>& cases() {
  static const std::vector<DecodeCase> kCases = {
      {"short", {1, 2, 7, 8, 9}, 1, true},
      {"gqa_short", {1, 9}, 4, true},
      {"medium", {1000, 1, 513, 1024}, 1, true},
      {"long", {33000, 2, 100000}, 1, true},
      {"gqa_long", {33000, 7}, 4, true},
      {"empty_and_low_max", {0, 3000, 5}, 1, false},
      {"gqa3", {8192, 1, 130}, 3, true},
      {"groups", {33000, 7, 600}, 4, true, {0, 1, 4, 5, 8, 11, 12}},
  };
  return kCases;
}

using DecodeParam = std::tuple<DType, int /*head_dim*/, int /*case*/>;

class AttentionDecodeGpuTest : public ::testing::TestWithParam<DecodeParam> {};

TEST_P(AttentionDecodeGpuTest, MatchesReference) {
  HKV_SKIP_IF_NO_GPU();
  const auto [dtype, dim, case_index] = GetParam();
  const DecodeCase& c = cases()[case_index];
  const int32_t segments = static_cast<int32_t>(c.lens.size());
  const int32_t num_queries = segments * c.queries_per_segment;
  std::vector<int32_t> capacities;
  int32_t max_len = 0;
  for (int32_t len : c.lens) {
    capacities.push_back(len + 3);  // room for appends, filled with NaN below
    max_len = std::max(max_len, len);
  }
  auto cu_capacity = testing::prefix_sums(capacities);
  const int64_t rows = cu_capacity.back();
  auto q = testing::random_values(num_queries * dim, dtype, 1 + case_index);
  // Keys with a spread of 2 make the softmax peaked enough to test the max bookkeeping.
  auto k = testing::random_values(rows * dim, dtype, 2 + case_index, 2.0f);
  auto v = testing::random_values(rows * dim, dtype, 3 + case_index);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int32_t s = 0; s < segments; ++s) {
    for (int64_t r = cu_capacity[s] + c.lens[s]; r < cu_capacity[s + 1]; ++r) {
      for (int d = 0; d < dim; ++d) {
        k[r * dim + d] = v[r * dim + d] = nan;
      }
    }
  }
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_q, testing::upload(q, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_k, testing::upload(k, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_v, testing::upload(v, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu, testing::upload_ints(cu_capacity, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_lens, testing::upload_ints(c.lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_out,
                           DeviceBuffer<uint8_t>::allocate(num_queries * dim * dtype_size(dtype)));
  AttentionDecodeParams p;
  p.out = d_out.data();
  p.q = d_q.data();
  p.k = d_k.data();
  p.v = d_v.data();
  p.cu_capacity = d_cu.data();
  p.kv_lens = d_lens.data();
  p.num_queries = num_queries;
  p.num_segments = segments;
  p.queries_per_segment = c.queries_per_segment;
  p.head_dim = dim;
  p.q_row_stride = dim;
  DeviceBuffer<int32_t> d_map, d_groups;
  if (!c.group_start.empty()) {
    std::vector<int32_t> map;
    for (int32_t qi = 0; qi < num_queries; ++qi) {
      map.push_back(qi / c.queries_per_segment);
    }
    HKV_ASSERT_OK_AND_ASSIGN(d_map, testing::upload_ints(map, stream.get()));
    HKV_ASSERT_OK_AND_ASSIGN(d_groups, testing::upload_ints(c.group_start, stream.get()));
    p.query_segment = d_map.data();
    p.group_start = d_groups.data();
    p.num_groups = static_cast<int32_t>(c.group_start.size()) - 1;
    p.max_group = 3;
  }
  p.max_kv_len = c.tight_max ? max_len : 1;
  p.softmax_scale = 1.0f / std::sqrt(static_cast<float>(dim));
  p.dtype = dtype;
  const int64_t ws_bytes = attention_decode_workspace_bytes(p);
  HKV_ASSERT_OK_AND_ASSIGN(auto d_ws, DeviceBuffer<uint8_t>::allocate(ws_bytes));
  p.workspace = ws_bytes > 0 ? d_ws.data() : nullptr;
  p.workspace_bytes = ws_bytes;
  HKV_ASSERT_OK(launch_attention_decode(p, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, testing::download(d_out, dtype, stream.get()));
  auto want = reference::attention_decode(q, k, v, cu_capacity, c.lens, c.queries_per_segment, dim,
                                          p.softmax_scale, dtype);
  EXPECT_TRUE(testing::all_close(got, want, testing::tolerance_for(dtype)))
      << "splits=" << attention_decode_num_splits(p);
}

INSTANTIATE_TEST_SUITE_P(
    Cases,
    AttentionDecodeGpuTest,
    ::testing::Combine(::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                       ::testing::Values(64, 128),
                       ::testing::Range(0, 8)),
    [](const auto& info) {
      return std::string(dtype_name(std::get<0>(info.param))) + "_d" +
             std::to_string(std::get<1>(info.param)) + "_" + cases()[std::get<2>(info.param)].name;
    });

}  // namespace
}  // namespace hkv::kernels
