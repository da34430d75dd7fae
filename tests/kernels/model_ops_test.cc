// The GPU engine's model-level kernels against their float32 references: linear (cuBLAS, and the
// small-M GEMV for m <= 3 with beta = 0 and 1, a strided input and a k past one unrolled sweep;
// f32, f16, bf16, f32 output; each shape also through launch_linear_cublas), embedding
// (out-of-range ids flagged), GQA score pooling, argmax with banned ids, and the batch maps of
// decode attention (query_segment) and append (segment_src_row).
#include "kernels/model_ops.h"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/argmax.h"
#include "kernels/attention_decode.h"
#include "kernels/gemm.h"
#include "kernels/kv_cache_ops.h"
#include "kernels/reference/model_ops_ref.h"
#include "kernels/reference/reference_ops.h"
#include "tests/kernels/device_test_util.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

using testing::download;
using testing::download_ints;
using testing::upload;
using testing::upload_ints;

class ModelOpsGpuTest : public ::testing::TestWithParam<DType> {};

TEST_P(ModelOpsGpuTest, LinearMatchesReference) {
  HKV_SKIP_IF_NO_GPU();
  const DType d = GetParam();
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(CublasHandle blas, CublasHandle::create(stream.get()));
  // {m, n, k, in_row_stride (0: k), beta}
  for (auto [m, n, k, ld, beta] :
       {std::tuple{1, 96, 64, 0, 0.0f}, std::tuple{7, 200, 136, 0, 0.0f},
        std::tuple{130, 64, 256, 0, 0.0f}, std::tuple{1, 37, 4104, 0, 1.0f},
        std::tuple{3, 96, 64, 72, 0.0f}, std::tuple{4, 130, 2048, 0, 1.0f},
        std::tuple{2, 33, 136, 0, 0.0f}}) {
    for (DType out_dtype : {d, DType::kF32}) {
      const int stride = ld == 0 ? k : ld;
      auto in_rows = testing::random_values(m * stride, d, 1 + m);
      std::vector<float> in;
      for (int r = 0; r < m; ++r) {
        in.insert(in.end(), in_rows.begin() + r * stride, in_rows.begin() + r * stride + k);
      }
      auto w = testing::random_values(n * k, d, 2 + n, 0.1f);
      auto prior = testing::random_values(m * n, out_dtype, 5 + n);
      HKV_ASSERT_OK_AND_ASSIGN(auto in_d, upload(in_rows, d, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto w_d, upload(w, d, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto out_d, upload(prior, out_dtype, stream.get()));
      LinearParams p;
      p.out = out_d.data();
      p.in = in_d.data();
      p.weight = w_d.data();
      p.m = m;
      p.n = n;
      p.k = k;
      p.in_row_stride = ld;
      p.beta = beta;
      p.dtype = d;
      p.out_dtype = out_dtype;
      auto want = reference::linear(in, w, m, n, k, DType::kF32);
      for (size_t i = 0; i < want.size(); ++i) {
        want[i] = reference::round_to(want[i] + beta * prior[i], out_dtype);
      }
      // launch_linear (the GEMV where it applies), then cuBLAS alone on the same prior output.
      for (bool cublas_only : {false, true}) {
        HKV_ASSERT_OK_AND_ASSIGN(out_d, upload(prior, out_dtype, stream.get()));
        p.out = out_d.data();
        HKV_ASSERT_OK(cublas_only ? launch_linear_cublas(blas, p) : launch_linear(blas, p));
        HKV_ASSERT_OK_AND_ASSIGN(auto got, download(out_d, out_dtype, stream.get()));
        EXPECT_TRUE(testing::all_close(
            got, want, testing::tolerance_for(d == DType::kF32 ? DType::kF32 : out_dtype)))
            << m << "x" << n << "x" << k << " ld " << ld << " beta " << beta << " cublas_only "
            << cublas_only;
      }
    }
  }
}

// launch_linears: q/k/v-like layers on one input, fused into one GEMV launch (m <= 3, 16-bit) or
// run one by one (m = 7, or f32); each output must match its own reference.
TEST_P(ModelOpsGpuTest, LinearsOnOneInputMatchReference) {
  HKV_SKIP_IF_NO_GPU();
  const DType d = GetParam();
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  HKV_ASSERT_OK_AND_ASSIGN(CublasHandle blas, CublasHandle::create(stream.get()));
  const int k = 264;
  const int ns[3] = {96, 37, 40};
  for (int m : {1, 3, 7}) {
    auto in = testing::random_values(m * k, d, 11 + m);
    HKV_ASSERT_OK_AND_ASSIGN(auto in_d, upload(in, d, stream.get()));
    std::vector<std::vector<float>> ws;
    std::vector<DeviceBuffer<uint8_t>> w_d, out_d;
    std::vector<LinearParams> layers;
    for (int i = 0; i < 3; ++i) {
      ws.push_back(testing::random_values(ns[i] * k, d, 20 + i, 0.1f));
      HKV_ASSERT_OK_AND_ASSIGN(auto w, upload(ws[i], d, stream.get()));
      HKV_ASSERT_OK_AND_ASSIGN(auto o,
                               upload(std::vector<float>(m * ns[i], 5.0f), d, stream.get()));
      w_d.push_back(std::move(w));
      out_d.push_back(std::move(o));
    }
    for (int i = 0; i < 3; ++i) {
      LinearParams p;
      p.out = out_d[i].data();
      p.in = in_d.data();
      p.weight = w_d[i].data();
      p.m = m;
      p.n = ns[i];
      p.k = k;
      p.dtype = p.out_dtype = d;
      layers.push_back(p);
    }
    HKV_ASSERT_OK(launch_linears(blas, layers));
    for (int i = 0; i < 3; ++i) {
      HKV_ASSERT_OK_AND_ASSIGN(auto got, download(out_d[i], d, stream.get()));
      EXPECT_TRUE(testing::all_close(got, reference::linear(in, ws[i], m, ns[i], k, d),
                                     testing::tolerance_for(d)))
          << "m " << m << " layer " << i;
    }
  }
}

TEST_P(ModelOpsGpuTest, EmbeddingAndScorePool) {
  HKV_SKIP_IF_NO_GPU();
  const DType d = GetParam();
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  const int64_t vocab = 50, hidden = 72;
  auto table = testing::random_values(vocab * hidden, d, 3);
  std::vector<int32_t> ids = {0, 49, 7, 7, 23};
  HKV_ASSERT_OK_AND_ASSIGN(auto table_d, upload(table, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto ids_d, upload_ints(ids, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto out_d,
                           upload(std::vector<float>(ids.size() * hidden, 3.0f), d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto flag_d, upload_ints(std::vector<int32_t>{0}, stream.get()));
  EmbeddingParams ep{out_d.data(),
                     table_d.data(),
                     ids_d.data(),
                     flag_d.data(),
                     static_cast<int64_t>(ids.size()),
                     hidden,
                     vocab,
                     d};
  HKV_ASSERT_OK(launch_embedding(ep, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, download(out_d, d, stream.get()));
  EXPECT_EQ(got, reference::embedding(table, ids, hidden));
  HKV_ASSERT_OK_AND_ASSIGN(auto flag, download_ints(flag_d, stream.get()));
  EXPECT_EQ(flag[0], 0);
  // An out-of-range id: zero row and the flag.
  std::vector<int32_t> bad = {3, 50};
  HKV_ASSERT_OK_AND_ASSIGN(auto bad_d, upload_ints(bad, stream.get()));
  ep.ids = bad_d.data();
  ep.num_tokens = 2;
  HKV_ASSERT_OK(launch_embedding(ep, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(got, download(out_d, d, stream.get()));
  got.resize(2 * hidden);
  EXPECT_EQ(got, reference::embedding(table, bad, hidden));
  HKV_ASSERT_OK_AND_ASSIGN(flag, download_ints(flag_d, stream.get()));
  EXPECT_EQ(flag[0], 1);

  if (d == DType::kF32) {
    return;  // score pooling is 16-bit only
  }
  const int32_t H = 8, KV = 2;
  const int64_t n = 333;
  auto scores = testing::random_values(H * n, d, 9, 0.01f);
  HKV_ASSERT_OK_AND_ASSIGN(auto s_d, upload(scores, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto p_d, upload(std::vector<float>(KV * n, 1.0f), d, stream.get()));
  ScorePoolParams sp{p_d.data(), s_d.data(), H, KV, n, d};
  HKV_ASSERT_OK(launch_score_pool(sp, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto pooled, download(p_d, d, stream.get()));
  EXPECT_EQ(pooled, reference::score_pool(scores, H, KV, n, d));
  sp.num_kv_heads = 3;
  EXPECT_EQ(launch_score_pool(sp, stream.get()).code(), StatusCode::kInvalidArgument);
}

TEST_P(ModelOpsGpuTest, ArgmaxSkipsBannedIds) {
  HKV_SKIP_IF_NO_GPU();
  const DType d = GetParam();
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  const int64_t rows = 3, vocab = 1000;
  auto logits = testing::random_values(rows * vocab, d, 5);
  auto plain = reference::argmax(logits, rows, vocab);
  std::vector<int32_t> banned = {plain[0], plain[1], plain[2], 17};
  auto masked = logits;
  for (int64_t r = 0; r < rows; ++r) {
    for (int32_t b : banned) {
      masked[r * vocab + b] = -INFINITY;
    }
  }
  auto want = reference::argmax(masked, rows, vocab);
  HKV_ASSERT_OK_AND_ASSIGN(auto l_d, upload(logits, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto b_d, upload_ints(banned, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto o_d, upload_ints(std::vector<int32_t>(rows, -1), stream.get()));
  ArgmaxParams a;
  a.out = o_d.data();
  a.logits = l_d.data();
  a.num_rows = rows;
  a.vocab = vocab;
  a.row_stride = vocab;
  a.dtype = d;
  a.banned = b_d.data();
  a.num_banned = static_cast<int32_t>(banned.size());
  HKV_ASSERT_OK(launch_argmax(a, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, download_ints(o_d, stream.get()));
  EXPECT_EQ(got, want);
  a.num_banned = 65;
  EXPECT_EQ(launch_argmax(a, stream.get()).code(), StatusCode::kInvalidArgument);
}

// A batch of two sequences, one `reference` (4 segments) and one `gqa` (2 segments): the maps
// route each query to its own segment and each segment's append to its sequence's K/V row.
TEST_P(ModelOpsGpuTest, DecodeAndAppendFollowTheBatchMaps) {
  HKV_SKIP_IF_NO_GPU();
  const DType d = GetParam();
  HKV_ASSERT_OK_AND_ASSIGN(CudaStream stream, CudaStream::create());
  const int32_t D = 64, H = 4, KV = 2;
  const std::vector<int32_t> query_segment = {0, 1, 2, 3, 4, 4, 5, 5};
  const std::vector<int32_t> src_row = {0, 0, 1, 1, 2, 3};  // seq * KV + kv head
  const std::vector<int32_t> lens = {5, 9, 1, 300, 17, 2};
  std::vector<int32_t> cu = {0};
  for (int32_t l : lens) {
    cu.push_back(cu.back() + l + 1);  // one row of room each
  }
  const int32_t rows = cu.back();
  auto k = testing::random_values(rows * D, d, 11);
  auto v = testing::random_values(rows * D, d, 12);
  auto k_new = testing::random_values(2 * KV * D, d, 13);
  auto v_new = testing::random_values(2 * KV * D, d, 14);
  auto q = testing::random_values(2 * H * D, d, 15);
  HKV_ASSERT_OK_AND_ASSIGN(auto k_d, upload(k, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto v_d, upload(v, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto kn_d, upload(k_new, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto vn_d, upload(v_new, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto q_d, upload(q, d, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto cu_d, upload_ints(cu, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto lens_d, upload_ints(lens, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto qs_d, upload_ints(query_segment, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto src_d, upload_ints(src_row, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto out_d,
                           upload(std::vector<float>(2 * H * D, 9.0f), d, stream.get()));
  KvAppendParams ap;
  ap.k_cache = k_d.data();
  ap.v_cache = v_d.data();
  ap.k_new = kn_d.data();
  ap.v_new = vn_d.data();
  ap.cu_capacity = cu_d.data();
  ap.kv_lens = lens_d.data();
  ap.segment_src_row = src_d.data();
  ap.num_segments = 6;
  ap.head_dim = D;
  ap.new_row_stride = D;
  ap.dtype = d;
  HKV_ASSERT_OK(launch_kv_append(ap, stream.get()));
  // Host: the same appends, then one query per row over its segment.
  std::vector<int32_t> new_lens = lens;
  for (int32_t s = 0; s < 6; ++s) {
    for (int32_t e = 0; e < D; ++e) {
      k[(cu[s] + lens[s]) * D + e] = k_new[src_row[s] * D + e];
      v[(cu[s] + lens[s]) * D + e] = v_new[src_row[s] * D + e];
    }
    ++new_lens[s];
  }
  HKV_ASSERT_OK_AND_ASSIGN(auto lens_after, download_ints(lens_d, stream.get()));
  EXPECT_EQ(lens_after, new_lens);
  AttentionDecodeParams dp;
  dp.out = out_d.data();
  dp.q = q_d.data();
  dp.k = k_d.data();
  dp.v = v_d.data();
  dp.cu_capacity = cu_d.data();
  dp.kv_lens = lens_d.data();
  dp.query_segment = qs_d.data();
  dp.num_queries = 2 * H;
  dp.num_segments = 6;
  dp.head_dim = D;
  dp.q_row_stride = D;
  dp.max_kv_len = 8;  // low on purpose: slower, never wrong
  dp.softmax_scale = 0.125f;
  dp.dtype = d;
  HKV_ASSERT_OK(launch_attention_decode(dp, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto got, download(out_d, d, stream.get()));
  // Reference: gather each query's segment into its own one-query layout.
  std::vector<float> want;
  for (int32_t qi = 0; qi < 2 * H; ++qi) {
    const int32_t s = query_segment[qi];
    std::vector<float> ks(k.begin() + cu[s] * D, k.begin() + (cu[s] + new_lens[s]) * D);
    std::vector<float> vs(v.begin() + cu[s] * D, v.begin() + (cu[s] + new_lens[s]) * D);
    std::vector<float> qq(q.begin() + qi * D, q.begin() + (qi + 1) * D);
    auto o = reference::attention_decode(qq, ks, vs, {0, new_lens[s]}, {}, 1, D, 0.125f, d);
    want.insert(want.end(), o.begin(), o.end());
  }
  EXPECT_TRUE(testing::all_close(got, want, testing::tolerance_for(d)));

  // The softmax rows themselves (head detection), float32 out.
  const int64_t stride = 400;
  HKV_ASSERT_OK_AND_ASSIGN(
      auto probs_d, upload(std::vector<float>(2 * H * stride, -1.0f), DType::kF32, stream.get()));
  AttentionProbsParams pp;
  pp.out = static_cast<float*>(static_cast<void*>(probs_d.data()));
  pp.q = q_d.data();
  pp.k = k_d.data();
  pp.cu_capacity = cu_d.data();
  pp.kv_lens = lens_d.data();
  pp.query_segment = qs_d.data();
  pp.num_queries = 2 * H;
  pp.head_dim = D;
  pp.q_row_stride = D;
  pp.out_row_stride = stride;
  pp.scale = 0.125f;
  pp.dtype = d;
  HKV_ASSERT_OK(launch_attention_probs(pp, stream.get()));
  HKV_ASSERT_OK_AND_ASSIGN(auto probs, download(probs_d, DType::kF32, stream.get()));
  auto want_probs = reference::attention_probs(q, k, cu, new_lens, query_segment, D, 0.125f);
  for (int32_t qi = 0; qi < 2 * H; ++qi) {
    std::vector<float> row(probs.begin() + qi * stride,
                           probs.begin() + qi * stride + want_probs[qi].size());
    EXPECT_TRUE(testing::all_close(row, want_probs[qi], {1e-6, 1e-4})) << "query " << qi;
    EXPECT_EQ(probs[qi * stride + want_probs[qi].size()], -1.0f) << "wrote past kv_len";
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes,
                         ModelOpsGpuTest,
                         ::testing::Values(DType::kF32, DType::kF16, DType::kBf16),
                         [](const auto& info) { return testing::dtype_param_name(info.param); });

}  // namespace
}  // namespace hkv::kernels
