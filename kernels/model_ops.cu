// Embedding lookup (one block per token, 16-byte words when aligned) and GQA score pooling (one
// thread per output element).
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/model_ops.h"

namespace hkv::kernels {
namespace {

template <typename W>
__global__ void embedding_kernel(W* __restrict__ out,              // [tokens, row_words]
                                 const W* __restrict__ table,      // [vocab, row_words]
                                 const int32_t* __restrict__ ids,  // [tokens]
                                 int32_t* __restrict__ error_flag,  // [1] or null
                                 int64_t row_words,
                                 int64_t vocab) {
  const int64_t t = blockIdx.x;
  const int32_t id = ids[t];
  W* dst = out + t * row_words;
  if (id < 0 || id >= vocab) {
    for (int64_t i = threadIdx.x; i < row_words; i += blockDim.x) {
      dst[i] = W{};
    }
    if (threadIdx.x == 0 && error_flag != nullptr) {
      *error_flag = 1;
    }
    return;
  }
  const W* src = table + static_cast<int64_t>(id) * row_words;
  for (int64_t i = threadIdx.x; i < row_words; i += blockDim.x) {
    dst[i] = src[i];
  }
}

template <typename T>
__global__ void score_pool_kernel(T* __restrict__ out,           // [kv_heads, n]
                                  const T* __restrict__ scores,  // [q_heads, n]
                                  int32_t group,
                                  int32_t num_kv_heads,
                                  int64_t n) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= num_kv_heads * n) {
    return;
  }
  const int64_t g = idx / n;
  const int64_t j = idx % n;
  float acc = 0.0f;
  for (int32_t i = 0; i < group; ++i) {
    acc += to_float<T>(scores[(g * group + i) * n + j]);
  }
  out[idx] = from_float<T>(acc / static_cast<float>(group));
}

bool is_float_dtype(DType d) {
  return d == DType::kF32 || d == DType::kF16 || d == DType::kBf16;
}

}  // namespace

Status EmbeddingParams::validate() const {
  if (!is_float_dtype(dtype)) {
    return errorf(StatusCode::kUnimplemented, "embedding: dtype %s (expected f32, f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_tokens < 0 || num_tokens > 2147483647LL || hidden <= 0 || vocab <= 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "embedding: num_tokens=%lld hidden=%lld vocab=%lld, expected 0 <= num_tokens "
                  "< 2^31 and positive hidden, vocab",
                  static_cast<long long>(num_tokens), static_cast<long long>(hidden),
                  static_cast<long long>(vocab));
  }
  if (num_tokens > 0 && (out == nullptr || table == nullptr || ids == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "embedding: null pointer among out, table, ids");
  }
  return Status();
}

Status launch_embedding(const EmbeddingParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  if (p.num_tokens == 0) {
    return Status();
  }
  const int64_t row_bytes = p.hidden * static_cast<int64_t>(dtype_size(p.dtype));
  auto launch = [&](auto word) -> Status {
    using W = decltype(word);
    embedding_kernel<W><<<static_cast<unsigned>(p.num_tokens), 256, 0, stream>>>(
        static_cast<W*>(p.out), static_cast<const W*>(p.table), p.ids, p.error_flag,
        row_bytes / static_cast<int64_t>(sizeof(W)), p.vocab);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  };
  if (row_bytes % 16 == 0 && is_aligned(p.out, 16) && is_aligned(p.table, 16)) {
    return launch(uint4{});
  }
  if (row_bytes % 4 == 0 && is_aligned(p.out, 4) && is_aligned(p.table, 4)) {
    return launch(uint32_t{});
  }
  return launch(uint16_t{});
}

Status ScorePoolParams::validate() const {
  if (dtype != DType::kF16 && dtype != DType::kBf16) {
    return errorf(StatusCode::kUnimplemented, "score_pool: dtype %s (expected f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_q_heads <= 0 || num_kv_heads <= 0 || num_q_heads % num_kv_heads != 0 || n < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "score_pool: num_q_heads=%d num_kv_heads=%d n=%lld, expected kv heads dividing "
                  "q heads and n >= 0",
                  num_q_heads, num_kv_heads, static_cast<long long>(n));
  }
  if (n > 0 && (out == nullptr || scores == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "score_pool: null out or scores");
  }
  return Status();
}

Status launch_score_pool(const ScorePoolParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  const int64_t total = p.num_kv_heads * p.n;
  if (total == 0) {
    return Status();
  }
  const unsigned blocks = static_cast<unsigned>((total + 255) / 256);
  return dispatch_half_dtype(p.dtype, "score_pool", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    score_pool_kernel<T><<<blocks, 256, 0, stream>>>(static_cast<T*>(p.out),
                                                     static_cast<const T*>(p.scores),
                                                     p.num_q_heads / p.num_kv_heads,
                                                     p.num_kv_heads, p.n);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
