// launch_kv_gather_parts (one layer's gathers for every config of a batch in one launch) against
// one launch_kv_gather per part, byte for byte: reference and gqa layouts, prefixes of longer
// sorted lists, a FullKV-like part (tail only), an overflowing segment, and more parts than one
// launch takes. launch_segment_capacity (a layer sized from device counts) against
// reference::segment_capacity.
// Validation runs without a GPU.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "kernels/kv_cache_ops.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(KvGatherPartsValidateTest, PartsMustShareTheLayer) {
  int32_t dummy[4] = {}, other[4] = {};
  KvGatherParams g;
  g.k_out = g.v_out = dummy;
  g.k_src = g.v_src = dummy;
  g.kept = g.cu_kept = g.cu_capacity = dummy;
  g.num_segments = 2;
  g.head_dim = 64;
  g.num_tokens = 10;
  g.src_head_stride = 640;
  g.src_row_stride = 64;
  std::vector<KvGatherParams> parts{g, g};
  parts[1].k_out = other;  // another destination: not one layer's gathers
  const Status s = launch_kv_gather_parts(parts, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("part 1"), std::string::npos) << s.to_string();
  parts[1] = g;
  parts[1].num_segments = 0;  // each part is validated on its own
  EXPECT_NE(launch_kv_gather_parts(parts, nullptr).message().find("part 1"), std::string::npos);
  EXPECT_TRUE(launch_kv_gather_parts({}, nullptr).ok());
}

// One part's tables on the host; `cu_capacity` holds absolute rows of the shared destination.
struct HostPart {
  std::vector<int32_t> kept, cu_kept, kept_lens, cu_capacity;
  int32_t segments = 0, per_kv_head = 1, tail_rows = 0;
  int64_t max_rows = 0;
};

TEST(KvGatherPartsGpuTest, OneLaunchMatchesOneLaunchPerPart) {
  HKV_SKIP_IF_NO_GPU();
  const DType dtype = DType::kBf16;
  const int kv_heads = 3, group = 3, dim = 64, tokens = 700, num_parts = 21;
  std::mt19937 rng(7);
  std::vector<HostPart> parts(num_parts);
  int32_t rows = 0;
  for (int p = 0; p < num_parts; ++p) {
    HostPart& h = parts[p];
    const bool gqa = p % 2 == 1;
    h.segments = gqa ? kv_heads : kv_heads * group;
    h.per_kv_head = gqa ? 1 : group;
    h.tail_rows = p == 0 ? tokens : static_cast<int32_t>(rng() % 3) * 8;  // part 0: FullKV
    h.cu_kept.push_back(0);
    h.cu_capacity.push_back(rows);
    for (int s = 0; s < h.segments; ++s) {
      std::vector<int32_t> order(tokens - h.tail_rows);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      const int32_t n = p == 0 ? 0 : 1 + static_cast<int32_t>(rng() % 199);  // order: >= 684
      h.kept.insert(h.kept.end(), order.begin(), order.begin() + n);
      h.cu_kept.push_back(static_cast<int32_t>(h.kept.size()));
      // Every fourth part takes a prefix of their sorted list (kept_lens), as the compressor does.
      h.kept_lens.push_back(p % 4 == 3 ? n / 2 : n);
      const int32_t want = h.kept_lens.back() + h.tail_rows;
      h.max_rows = std::max<int64_t>(h.max_rows, want);
      // Part 5's first segment overflows by one row: flagged, its rows cut at the capacity.
      const int32_t cap =
          p == 5 && s == 0 ? std::max(want - 1, 0) : want + static_cast<int32_t>(rng() % 4);
      rows += cap;
      h.cu_capacity.push_back(rows);
    }
  }
  auto src_k = testing::random_values(int64_t{tokens} * kv_heads * dim, dtype, 11);
  auto src_v = testing::random_values(int64_t{tokens} * kv_heads * dim, dtype, 12);
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(auto d_src_k, testing::upload(src_k, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto d_src_v, testing::upload(src_v, dtype, stream.get()));
  const std::vector<float> zeros(static_cast<size_t>(rows) * dim, 0.0f);

  struct Run {
    DeviceBuffer<uint8_t> k, v;
    DeviceBuffer<int32_t> lens, flag;
  };

  std::vector<Run> runs(2);
  std::vector<std::vector<DeviceBuffer<int32_t>>> tables(num_parts);
  for (Run& r : runs) {
    HKV_ASSERT_OK_AND_ASSIGN(r.k, testing::upload(zeros, dtype, stream.get()));
    HKV_ASSERT_OK_AND_ASSIGN(r.v, testing::upload(zeros, dtype, stream.get()));
    int32_t total_segments = 0;
    for (const HostPart& h : parts) {
      total_segments += h.segments;
    }
    HKV_ASSERT_OK_AND_ASSIGN(
        r.lens, testing::upload_ints(std::vector<int32_t>(total_segments, -1), stream.get()));
    HKV_ASSERT_OK_AND_ASSIGN(r.flag, testing::upload_ints(std::vector<int32_t>{0}, stream.get()));
  }
  for (int p = 0; p < num_parts; ++p) {
    for (const auto* t :
         {&parts[p].kept, &parts[p].cu_kept, &parts[p].kept_lens, &parts[p].cu_capacity}) {
      std::vector<int32_t> v = t->empty() ? std::vector<int32_t>{0} : *t;
      HKV_ASSERT_OK_AND_ASSIGN(auto d, testing::upload_ints(v, stream.get()));
      tables[p].push_back(std::move(d));
    }
  }
  auto params = [&](Run& r) {
    std::vector<KvGatherParams> out;
    int32_t seg = 0;
    for (int p = 0; p < num_parts; ++p) {
      const HostPart& h = parts[p];
      KvGatherParams g;
      g.k_out = r.k.data();
      g.v_out = r.v.data();
      g.k_src = d_src_k.data();
      g.v_src = d_src_v.data();
      g.kept = tables[p][0].data();
      g.cu_kept = tables[p][1].data();
      g.kept_lens = tables[p][2].data();
      g.cu_capacity = tables[p][3].data();
      g.kv_lens = r.lens.data() + seg;
      g.error_flag = r.flag.data();
      g.num_segments = h.segments;
      g.segments_per_kv_head = h.per_kv_head;
      g.head_dim = dim;
      g.num_tokens = tokens;
      g.src_head_stride = dim;  // token-major [tokens, kv_heads, dim]
      g.src_row_stride = int64_t{kv_heads} * dim;
      g.tail_start = tokens - h.tail_rows;
      g.num_tail_rows = h.tail_rows;
      g.max_rows_per_segment = h.max_rows;
      g.dtype = dtype;
      out.push_back(g);
      seg += h.segments;
    }
    return out;
  };
  HKV_ASSERT_OK(launch_kv_gather_parts(params(runs[0]), stream.get()));  // two launches (21 parts)
  for (const KvGatherParams& g : params(runs[1])) {
    HKV_ASSERT_OK(launch_kv_gather(g, stream.get()));
  }
  HKV_ASSERT_OK_AND_ASSIGN(auto k0, testing::download(runs[0].k, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto k1, testing::download(runs[1].k, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto v0, testing::download(runs[0].v, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto v1, testing::download(runs[1].v, dtype, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto lens0, testing::download_ints(runs[0].lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto lens1, testing::download_ints(runs[1].lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto flag0, testing::download_ints(runs[0].flag, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto flag1, testing::download_ints(runs[1].flag, stream.get()));
  EXPECT_EQ(lens0, lens1);
  EXPECT_EQ(std::count(lens0.begin(), lens0.end(), -1), 0) << "every segment's length written";
  EXPECT_EQ(flag0[0], 1);  // part 5's overflow
  EXPECT_EQ(flag1[0], 1);
  EXPECT_TRUE(k0 == k1) << "K differs between one launch and one launch per part";
  EXPECT_TRUE(v0 == v1) << "V differs between one launch and one launch per part";
  // The FullKV part copied the whole prompt of KV head 1 into its segment 3 (first of head 1).
  const int32_t row3 = parts[0].cu_capacity[3];
  for (int t = 0; t < tokens; t += 97) {
    for (int d = 0; d < dim; d += 13) {
      ASSERT_EQ(k0[(static_cast<size_t>(row3) + t) * dim + d],
                src_k[(static_cast<size_t>(t) * kv_heads + 1) * dim + d]);
    }
  }
}

TEST(SegmentCapacityValidateTest, RejectsBadParams) {
  int32_t dummy[4] = {};
  SegmentCapacityParams p;
  p.cu_capacity = p.kept_lens = dummy;
  p.counts = p.base_rows = p.count_index = p.count_max = dummy;
  p.num_segments = 3;
  p.max_rows = 100;
  EXPECT_TRUE(p.validate().ok());
  p.max_rows = int64_t{1} << 31;
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);
  p.max_rows = 100;
  p.count_max = nullptr;
  EXPECT_NE(p.validate().message().find("null pointer"), std::string::npos);
}

TEST(SegmentCapacityGpuTest, SizesSegmentsFromDeviceCounts) {
  HKV_SKIP_IF_NO_GPU();
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  std::mt19937 rng(3);
  for (int32_t T : {1, 81, 2048, 5000}) {  // more than one 2048-segment step, too
    std::vector<int32_t> base(T), index(T, -1), bound(T), counts(T + 7);
    for (int32_t t = 0; t < T; ++t) {
      base[t] = static_cast<int32_t>(rng() % 300);
      bound[t] = 1 + static_cast<int32_t>(rng() % 500);
      if (rng() % 3 != 0) {
        index[t] = t + 7;  // counts live at an offset, as a config's slice does
      }
    }
    for (int32_t& c : counts) {
      c = static_cast<int32_t>(rng() % 700) - 50;  // some negative, some past the bound
    }
    std::vector<int32_t> want_cu, want_kept(counts.size(), -1);
    bool overflow = false;
    overflow =
        reference::segment_capacity(base, index, bound, counts, INT32_MAX, &want_cu, &want_kept);
    ASSERT_FALSE(overflow);
    // A second run allocated for half the rows: cut at the allocation and flagged.
    const int64_t short_rows = want_cu.back() / 2;
    std::vector<int32_t> short_cu, short_kept(counts.size(), -1);
    bool short_overflow = false;
    short_overflow =
        reference::segment_capacity(base, index, bound, counts, short_rows, &short_cu, &short_kept);
    for (auto [max_rows, cu, flag] : {std::tuple{int64_t{INT32_MAX}, want_cu, 0},
                                      std::tuple{short_rows, short_cu, short_overflow ? 1 : 0}}) {
      HKV_ASSERT_OK_AND_ASSIGN(auto d_base, testing::upload_ints(base, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto d_index, testing::upload_ints(index, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto d_bound, testing::upload_ints(bound, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto d_counts, testing::upload_ints(counts, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(
          auto d_kept, testing::upload_ints(std::vector<int32_t>(counts.size(), -1), stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto d_cu, DeviceBuffer<int32_t>::allocate(T + 1));
      HKV_ASSERT_OK_AND_ASSIGN(auto d_copy, DeviceBuffer<int32_t>::allocate(T + 1));
      HKV_ASSERT_OK_AND_ASSIGN(auto d_flag,
                               testing::upload_ints(std::vector<int32_t>{0}, stream.get()));
      SegmentCapacityParams p;
      p.cu_capacity = d_cu.data();
      p.cu_capacity_copy = d_copy.data();
      p.kept_lens = d_kept.data();
      p.counts = d_counts.data();
      p.base_rows = d_base.data();
      p.count_index = d_index.data();
      p.count_max = d_bound.data();
      p.error_flag = d_flag.data();
      p.num_segments = T;
      p.max_rows = max_rows;
      HKV_ASSERT_OK(launch_segment_capacity(p, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto got_cu, testing::download_ints(d_cu, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto got_copy, testing::download_ints(d_copy, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto got_kept, testing::download_ints(d_kept, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto got_flag, testing::download_ints(d_flag, stream.get()));
      EXPECT_EQ(got_cu, cu) << T << " segments, " << max_rows << " rows";
      EXPECT_EQ(got_copy, cu);
      EXPECT_EQ(got_kept, want_kept);  // the same counts either way; untouched entries stay -1
      EXPECT_EQ(got_flag[0], flag);
    }
    if (T > 1) {
      EXPECT_TRUE(short_overflow);
    }
  }
}

}  // namespace
}  // namespace hkv::kernels
