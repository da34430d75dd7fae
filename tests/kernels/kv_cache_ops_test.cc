// launch_kv_gather / launch_kv_append on the device vs the references, bit for bit: reference
// (group 4) and gqa layouts, token-major sources, tails, several appends, error flags. Validation
// runs without a GPU.
#include "kernels/kv_cache_ops.h"

#include <algorithm>
#include <numeric>
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

TEST(KvCacheOpsValidateTest, RejectsBadParams) {
  int32_t dummy[4] = {};
  KvGatherParams g;
  g.k_out = g.v_out = dummy;
  g.k_src = g.v_src = dummy;
  g.kept = g.cu_kept = g.cu_capacity = dummy;
  g.num_segments = 2;
  g.head_dim = 128;
  g.num_tokens = 10;
  g.src_head_stride = 1280;
  g.src_row_stride = 128;
  EXPECT_TRUE(g.validate().ok()) << g.validate().to_string();
  g.num_tail_rows = 8;
  g.tail_start = 5;  // 5 + 8 > 10
  EXPECT_NE(g.validate().message().find("tail rows"), std::string::npos);
  g.num_tail_rows = 0;
  g.dtype = DType::kI32;
  EXPECT_EQ(g.validate().code(), StatusCode::kUnimplemented);
  KvAppendParams a;
  a.k_cache = a.v_cache = dummy;
  a.k_new = a.v_new = dummy;
  a.cu_capacity = a.kv_lens = dummy;
  a.num_segments = 1;
  a.head_dim = 64;
  a.new_row_stride = 32;
  EXPECT_EQ(a.validate().code(), StatusCode::kInvalidArgument);
}

using KvParam = std::tuple<DType, int /*segments_per_kv_head*/, int /*head_dim*/>;

class KvCacheOpsGpuTest : public ::testing::TestWithParam<KvParam> {};

TEST_P(KvCacheOpsGpuTest, GatherThenAppendMatchReference) {
  HKV_SKIP_IF_NO_GPU();
  const auto [dtype, group, dim] = GetParam();
  const int kv_heads = 2, tokens = 1000, window = 8, appends = 3;
  const int segments = kv_heads * group;
  std::mt19937 rng(group * 131 + dim);
  // Per segment: a random subset of the prefix in random order (score order), of random size
  // (1 .. 300, one segment keeps the whole prefix), then the window and room for the appends.
  std::vector<int32_t> kept, kept_counts, capacities;
  for (int s = 0; s < segments; ++s) {
    std::vector<int32_t> perm(tokens - window);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const int n = s == 0 ? tokens - window : 1 + static_cast<int>(rng() % 300);
    kept.insert(kept.end(), perm.begin(), perm.begin() + n);
    kept_counts.push_back(n);
    capacities.push_back(n + window + appends + static_cast<int>(rng() % 3));
  }
  auto cu_kept = testing::prefix_sums(kept_counts);
  reference::KvLayout layout{testing::prefix_sums(capacities), group, dim};
  const int64_t rows = layout.cu_capacity.back();
  // Source in token-major layout on the device ([tokens, kv_heads, dim]), head-major for the ref.
  auto k_src = testing::random_values(kv_heads * tokens * dim, dtype, 1);
  auto v_src = testing::random_values(kv_heads * tokens * dim, dtype, 2);
  std::vector<float> k_dev(k_src.size()), v_dev(v_src.size());
  for (int h = 0; h < kv_heads; ++h) {
    for (int t = 0; t < tokens; ++t) {
      std::copy_n(k_src.begin() + (h * tokens + t) * dim, dim,
                  k_dev.begin() + (t * kv_heads + h) * dim);
      std::copy_n(v_src.begin() + (h * tokens + t) * dim, dim,
                  v_dev.begin() + (t * kv_heads + h) * dim);
    }
  }
  std::vector<float> k_cache(rows * dim, 0.0f), v_cache(rows * dim, 0.0f);
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_k_src, testing::upload(k_dev, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_v_src, testing::upload(v_dev, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_k, testing::upload(k_cache, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_v, testing::upload(v_cache, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_kept, testing::upload_ints(kept, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu_kept, testing::upload_ints(cu_kept, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu_cap, testing::upload_ints(layout.cu_capacity, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_lens, DeviceBuffer<int32_t>::allocate(segments));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_flag,
                           testing::upload_ints(std::vector<int32_t>{0}, stream.get()));

  KvGatherParams g;
  g.k_out = d_k.data();
  g.v_out = d_v.data();
  g.k_src = d_k_src.data();
  g.v_src = d_v_src.data();
  g.kept = d_kept.data();
  g.cu_kept = d_cu_kept.data();
  g.cu_capacity = d_cu_cap.data();
  g.kv_lens = d_lens.data();
  g.error_flag = d_flag.data();
  g.num_segments = segments;
  g.segments_per_kv_head = group;
  g.head_dim = dim;
  g.num_tokens = tokens;
  g.src_head_stride = dim;
  g.src_row_stride = static_cast<int64_t>(kv_heads) * dim;
  g.tail_start = tokens - window;
  g.num_tail_rows = window;
  g.max_rows_per_segment = tokens;
  g.dtype = dtype;
  HKV_ASSERT_OK(launch_kv_gather(g, stream.get()));
  std::vector<int32_t> lens;
  EXPECT_FALSE(reference::kv_gather(k_src, v_src, tokens, kept, cu_kept, tokens - window, window,
                                    layout, &k_cache, &v_cache, &lens));

  for (int step = 0; step < appends; ++step) {
    auto k_new = testing::random_values(kv_heads * dim, dtype, 10 + step);
    auto v_new = testing::random_values(kv_heads * dim, dtype, 20 + step);
    HKV_ASSERT_OK_AND_ASSIGN(auto d_k_new, testing::upload(k_new, dtype, stream.get()));
    HKV_ASSERT_OK_AND_ASSIGN(auto d_v_new, testing::upload(v_new, dtype, stream.get()));
    KvAppendParams a;
    a.k_cache = d_k.data();
    a.v_cache = d_v.data();
    a.k_new = d_k_new.data();
    a.v_new = d_v_new.data();
    a.cu_capacity = d_cu_cap.data();
    a.kv_lens = d_lens.data();
    a.error_flag = d_flag.data();
    a.num_segments = segments;
    a.segments_per_kv_head = group;
    a.head_dim = dim;
    a.new_row_stride = dim;
    a.dtype = dtype;
    HKV_ASSERT_OK(launch_kv_append(a, stream.get()));
    HKV_ASSERT_OK(stream.synchronize());  // d_k_new dies at the end of the iteration
    EXPECT_FALSE(reference::kv_append(k_new, v_new, layout, &k_cache, &v_cache, &lens));
  }
  HKV_ASSERT_OK_AND_ASSIGN(auto got_k, testing::download(d_k, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got_v, testing::download(d_v, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got_lens, testing::download_ints(d_lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got_flag, testing::download_ints(d_flag, stream.get()));
  EXPECT_EQ(got_lens, lens);
  EXPECT_EQ(got_flag[0], 0);
  for (size_t i = 0; i < got_k.size(); ++i) {
    ASSERT_EQ(got_k[i], k_cache[i])
        << "K: first mismatch at element " << i << " (row " << i / dim << ")";
    ASSERT_EQ(got_v[i], v_cache[i]) << "V: first mismatch at element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts,
    KvCacheOpsGpuTest,
    ::testing::Combine(::testing::Values(DType::kF16, DType::kBf16, DType::kF32),
                       ::testing::Values(1, 4),
                       ::testing::Values(64, 128)),
    [](const auto& info) {
      return std::string(dtype_name(std::get<0>(info.param))) + "_group" +
             std::to_string(std::get<1>(info.param)) + "_d" +
             std::to_string(std::get<2>(info.param));
    });

TEST(KvCacheOpsGpuErrorTest, FlagsOutOfRangeAndFullSegments) {
  HKV_SKIP_IF_NO_GPU();
  const DType dtype = DType::kF16;
  const int dim = 64, tokens = 4;
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  auto src = testing::random_values(tokens * dim, dtype, 3);
  HKV_ASSERT_OK_AND_ASSIGN(auto d_src, testing::upload(src, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_k,
                           testing::upload(std::vector<float>(2 * dim), dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_v,
                           testing::upload(std::vector<float>(2 * dim), dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_kept,
                           testing::upload_ints(std::vector<int32_t>{4}, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu_kept,
                           testing::upload_ints(std::vector<int32_t>{0, 1}, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_cu_cap,
                           testing::upload_ints(std::vector<int32_t>{0, 2}, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_lens,
                           testing::upload_ints(std::vector<int32_t>{0}, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_flag,
                           testing::upload_ints(std::vector<int32_t>{0}, stream.get()));
  KvGatherParams g;
  g.k_out = d_k.data();
  g.v_out = d_v.data();
  g.k_src = g.v_src = d_src.data();
  g.kept = d_kept.data();
  g.cu_kept = d_cu_kept.data();
  g.cu_capacity = d_cu_cap.data();
  g.error_flag = d_flag.data();
  g.num_segments = 1;
  g.head_dim = dim;
  g.num_tokens = tokens;
  g.src_head_stride = tokens * dim;
  g.src_row_stride = dim;
  g.max_rows_per_segment = 1;
  g.dtype = dtype;
  HKV_ASSERT_OK(launch_kv_gather(g, stream.get()));  // position 4 of 4 rows: skipped, flagged
  HKV_ASSERT_OK_AND_ASSIGN(auto flag, testing::download_ints(d_flag, stream.get()));
  EXPECT_EQ(flag[0], 1);
  HKV_ASSERT_OK_AND_ASSIGN(auto k_after, testing::download(d_k, dtype, stream.get()));
  EXPECT_EQ(k_after, std::vector<float>(2 * dim, 0.0f));

  HKV_ASSERT_OK_AND_ASSIGN(auto d_flag2,
                           testing::upload_ints(std::vector<int32_t>{0}, stream.get()));
  KvAppendParams a;
  a.k_cache = d_k.data();
  a.v_cache = d_v.data();
  a.k_new = a.v_new = d_src.data();
  a.cu_capacity = d_cu_cap.data();
  a.kv_lens = d_lens.data();
  a.error_flag = d_flag2.data();
  a.num_segments = 1;
  a.head_dim = dim;
  a.new_row_stride = dim;
  a.dtype = dtype;
  for (int i = 0; i < 3; ++i) {  // capacity 2: the third append is refused
    HKV_ASSERT_OK(launch_kv_append(a, stream.get()));
  }
  HKV_ASSERT_OK_AND_ASSIGN(auto lens, testing::download_ints(d_lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto flag2, testing::download_ints(d_flag2, stream.get()));
  EXPECT_EQ(lens[0], 2);
  EXPECT_EQ(flag2[0], 1);
}

}  // namespace
}  // namespace hkv::kernels
