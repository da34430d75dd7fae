// launch_attention_prefill vs the double reference: f32/f16/bf16, head_dim 64/128, GQA groups,
// chunked queries (kv_len > num_q_tokens), edge lengths; the reference itself is checked on CPU.
#include "kernels/attention_prefill.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/attention_prefill_tc.cuh"
#include "kernels/device_buffer.h"
#include "kernels/reference/attention_prefill_ref.h"
#include "kernels/reference/reference_ops.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(AttentionPrefillRefTest, SingleKeyReturnsItsValue) {
  // One query, one key: softmax is 1, so out == v.
  std::vector<float> q = {1, 2}, k = {3, 4}, v = {5, -6};
  auto out = reference::attention_prefill(q, k, v, 1, 1, 1, 1, 2, 1.0f);
  EXPECT_FLOAT_EQ(out[0], 5);
  EXPECT_FLOAT_EQ(out[1], -6);
  // Two keys with equal scores average their values; the second query row sees both.
  std::vector<float> q2 = {0, 0, 0, 0}, k2 = {1, 1, 2, 2}, v2 = {2, 4, 6, 8};
  auto out2 = reference::attention_prefill(q2, k2, v2, 2, 2, 1, 1, 2, 1.0f);
  EXPECT_FLOAT_EQ(out2[0], 2);
  EXPECT_FLOAT_EQ(out2[2], 4);
  EXPECT_FLOAT_EQ(out2[3], 6);
}

TEST(AttentionPrefillValidateTest, RejectsBadShapes) {
  float x = 0;
  AttentionPrefillParams p{&x, &x, &x, &x, 4, 2, 4, 2, 64, 0.125f, DType::kBf16};
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);  // kv_len < q
  p = {&x, &x, &x, &x, 4, 4, 4, 3, 64, 0.125f, DType::kBf16};
  EXPECT_EQ(p.validate().code(), StatusCode::kInvalidArgument);  // 4 % 3
  p = {&x, &x, &x, &x, 4, 4, 4, 2, 96, 0.125f, DType::kBf16};
  EXPECT_NE(p.validate().message().find("head_dim=96 not compiled"), std::string::npos);
}

struct Case {
  DType dtype;
  int32_t head_dim;
  int64_t q_tokens, kv_len;
  int32_t q_heads, kv_heads;
};

class AttentionPrefillGpuTest : public ::testing::TestWithParam<Case> {};

std::vector<uint8_t> encode(const std::vector<float>& f, DType dtype) {
  std::vector<uint8_t> raw(f.size() * 4);
  std::memcpy(raw.data(), f.data(), raw.size());
  return dtype == DType::kF32
             ? raw
             : reference::convert(raw, static_cast<int64_t>(f.size()), DType::kF32, dtype);
}

std::vector<float> decode(const std::vector<uint8_t>& raw, int64_t n, DType dtype) {
  std::vector<uint8_t> f32 =
      dtype == DType::kF32 ? raw : reference::convert(raw, n, dtype, DType::kF32);
  std::vector<float> out(n);
  std::memcpy(out.data(), f32.data(), n * 4);
  return out;
}

struct Inputs {
  std::vector<float> q, k, v;  // [q_tokens, q_heads, D], [kv_len, kv_heads, D] x 2
  float scale = 0.0f;
};

Inputs random_inputs(const Case& c) {
  std::mt19937 rng(static_cast<uint32_t>(c.kv_len * 7 + c.head_dim));
  std::normal_distribution<float> dist(0.0f, 1.0f);
  auto random = [&](int64_t n) {
    std::vector<float> x(n);
    for (float& e : x) {
      e = dist(rng);
    }
    // Round through the storage dtype so host and device see identical inputs.
    return decode(encode(x, c.dtype), n, c.dtype);
  };
  const int64_t D = c.head_dim;
  Inputs in;
  in.q = random(c.q_tokens * c.q_heads * D);
  in.k = random(c.kv_len * c.kv_heads * D);
  in.v = random(c.kv_len * c.kv_heads * D);
  in.scale = 1.0f / std::sqrt(static_cast<float>(D));
  return in;
}

// Runs the prefill on the GPU; m_tiles < 0: the public launch, else the tensor-core kernel with
// that many M tiles per warp (0 = its own pick). Returns the raw output in c.dtype.
void run_on_gpu(const Case& c, const Inputs& in, int m_tiles, std::vector<uint8_t>* raw) {
  auto stream = CudaStream::create();
  ASSERT_TRUE(stream.ok());
  auto upload = [&](const std::vector<float>& x) {
    std::vector<uint8_t> bytes = encode(x, c.dtype);
    auto buf = DeviceBuffer<uint8_t>::allocate(bytes.size());
    EXPECT_TRUE(buf.ok());
    EXPECT_TRUE(buf->copy_from_host(bytes.data(), stream->get()).ok());
    return std::move(buf).value();
  };
  DeviceBuffer<uint8_t> dq = upload(in.q), dk = upload(in.k), dv = upload(in.v);
  const int64_t n_out = c.q_tokens * c.q_heads * c.head_dim;
  auto dout = DeviceBuffer<uint8_t>::allocate(n_out * dtype_size(c.dtype));
  ASSERT_TRUE(dout.ok());
  AttentionPrefillParams p{dout->data(), dq.data(),  dk.data(),  dv.data(), c.q_tokens, c.kv_len,
                           c.q_heads,    c.kv_heads, c.head_dim, in.scale,  c.dtype};
  Status st = m_tiles < 0 ? launch_attention_prefill(p, stream->get())
                          : internal::launch_attention_prefill_tc(p, stream->get(), m_tiles);
  ASSERT_TRUE(st.ok()) << st.to_string();
  raw->assign(dout->size(), 0);
  ASSERT_TRUE(dout->copy_to_host(raw->data(), stream->get()).ok());
  ASSERT_TRUE(stream->synchronize().ok());
}

void expect_matches_reference(const Case& c, const Inputs& in, const std::vector<uint8_t>& raw) {
  const int64_t n_out = c.q_tokens * c.q_heads * c.head_dim;
  std::vector<float> got = decode(raw, n_out, c.dtype);
  std::vector<float> want = reference::attention_prefill(
      in.q, in.k, in.v, c.q_tokens, c.kv_len, c.q_heads, c.kv_heads, c.head_dim, in.scale);
  double atol = c.dtype == DType::kF32 ? 1e-5 : 1e-2, rtol = c.dtype == DType::kF32 ? 1e-4 : 1e-2;
  double max_err = 0;
  for (int64_t i = 0; i < n_out; ++i) {
    double err = std::abs(got[i] - want[i]);
    max_err = std::max(max_err, err);
    ASSERT_LE(err, atol + rtol * std::abs(want[i]))
        << "first mismatch at " << i << ": " << got[i] << " vs " << want[i] << " (max err so far "
        << max_err << ")";
  }
}

TEST_P(AttentionPrefillGpuTest, MatchesReference) {
  HKV_SKIP_IF_NO_GPU();
  const Case c = GetParam();
  const Inputs in = random_inputs(c);
  std::vector<uint8_t> raw;
  run_on_gpu(c, in, -1, &raw);
  expect_matches_reference(c, in, raw);
}

// The tensor-core kernel's 64-row (1 M tile per warp) and 128-row (2) blocks: both match the
// reference, and bit for bit each other (same arithmetic per row, in the same order), including
// causal rows whose block reaches keys they may not see and chunked queries (kv_len > q).
TEST(AttentionPrefillTensorCoreTest, BothBlockHeightsAgreeBitForBit) {
  HKV_SKIP_IF_NO_GPU();
  for (const Case& c :
       {Case{DType::kBf16, 128, 300, 300, 8, 2}, Case{DType::kF16, 128, 129, 700, 4, 4},
        Case{DType::kBf16, 64, 200, 457, 6, 3}, Case{DType::kF16, 64, 1, 65, 3, 1},
        Case{DType::kBf16, 128, 1000, 1000, 32, 8}}) {
    SCOPED_TRACE(::testing::Message() << dtype_name(c.dtype) << " d" << c.head_dim << " q"
                                      << c.q_tokens << " kv" << c.kv_len);
    const Inputs in = random_inputs(c);
    std::vector<uint8_t> one, two;
    run_on_gpu(c, in, 1, &one);
    run_on_gpu(c, in, 2, &two);
    expect_matches_reference(c, in, two);
    EXPECT_TRUE(one == two) << "64-row and 128-row blocks differ";
  }
}

TEST(AttentionPrefillTensorCoreTest, TallBlocksOnlyWhenTheyFillTheGpu) {
  AttentionPrefillParams p{};
  p.num_q_heads = 32;
  p.num_q_tokens = 8192;  // 64 blocks of 128 rows x 32 heads = 2048 blocks
  EXPECT_EQ(internal::attention_prefill_tc_m_tiles(p, 132), 2);
  p.num_q_tokens = 300;  // 3 x 32 = 96 blocks: not two per SM
  EXPECT_EQ(internal::attention_prefill_tc_m_tiles(p, 132), 1);
  p.num_q_heads = 9;
  p.num_q_tokens = 4000;  // 32 x 9 = 288 blocks
  EXPECT_EQ(internal::attention_prefill_tc_m_tiles(p, 132), 2);
  EXPECT_EQ(internal::attention_prefill_tc_m_tiles(p, 150), 1);
}

TEST(AttentionPrefillTensorCoreTest, RejectsAnUnknownBlockHeight) {
  AttentionPrefillParams p{};
  p.dtype = DType::kBf16;
  p.head_dim = 128;
  Status st = internal::launch_attention_prefill_tc(p, nullptr, 3);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("m_tiles=3"), std::string::npos) << st.to_string();
}

INSTANTIATE_TEST_SUITE_P(Shapes,
                         AttentionPrefillGpuTest,
                         ::testing::Values(Case{DType::kF32, 64, 1, 1, 9, 3},
                                           Case{DType::kF32, 64, 37, 37, 9, 3},
                                           Case{DType::kBf16, 128, 100, 100, 32, 8},
                                           Case{DType::kF16, 128, 33, 300, 8, 8},
                                           Case{DType::kBf16, 64, 513, 513, 4, 1},
                                           Case{DType::kF16, 128, 64, 2048, 4, 2}),
                         [](const auto& info) {
                           const Case& c = info.param;
                           return std::string(dtype_name(c.dtype)) + "_d" +
                                  std::to_string(c.head_dim) + "_q" + std::to_string(c.q_tokens) +
                                  "_kv" + std::to_string(c.kv_len) + "_h" +
                                  std::to_string(c.q_heads) + "x" + std::to_string(c.kv_heads);
                         });

}  // namespace
}  // namespace hkv::kernels
