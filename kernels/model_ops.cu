// Embedding lookup (one block per token, 16-byte words when aligned) and GQA score pooling (one
// thread per output element).
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/model_ops.h"

namespace hkv::kernels {
namespace {

template <typename W>
__global__ void embedding_kernel(W* __restrict__ out,               // [tokens, row_words]
                                 const W* __restrict__ table,       // [vocab, row_words]
                                 const int32_t* __restrict__ ids,   // [tokens]
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

// One block per query: scores into the output row, block max, exp and sum, normalise.
template <typename T>
__global__ void attention_probs_kernel(float* __restrict__ out,
                                       const T* __restrict__ q,
                                       const T* __restrict__ k,
                                       const int32_t* __restrict__ cu_capacity,
                                       const int32_t* __restrict__ kv_lens,
                                       const int32_t* __restrict__ query_segment,
                                       int32_t head_dim,
                                       int64_t q_row_stride,
                                       int64_t out_row_stride,
                                       float scale) {
  __shared__ float qs[256];
  __shared__ float red[32];
  const int qi = blockIdx.x;
  const int s = query_segment[qi];
  const int64_t base = cu_capacity[s];
  const int32_t len = kv_lens[s];
  float* row = out + static_cast<int64_t>(qi) * out_row_stride;
  for (int e = threadIdx.x; e < head_dim; e += blockDim.x) {
    qs[e] = to_float<T>(q[qi * q_row_stride + e]);
  }
  __syncthreads();
  float m = -INFINITY;
  for (int32_t j = threadIdx.x; j < len; j += blockDim.x) {
    const T* kr = k + (base + j) * head_dim;
    float dot = 0.0f;
    for (int e = 0; e < head_dim; ++e) {
      dot += qs[e] * to_float<T>(kr[e]);
    }
    row[j] = dot * scale;
    m = fmaxf(m, dot * scale);
  }
  auto block_reduce = [&](float v, bool is_max) {
    for (int o = 16; o > 0; o >>= 1) {
      const float other = __shfl_xor_sync(0xffffffffu, v, o);
      v = is_max ? fmaxf(v, other) : v + other;
    }
    if ((threadIdx.x & 31) == 0) {
      red[threadIdx.x >> 5] = v;
    }
    __syncthreads();
    float r = is_max ? -INFINITY : 0.0f;
    for (int w = 0; w < static_cast<int>(blockDim.x >> 5); ++w) {
      r = is_max ? fmaxf(r, red[w]) : r + red[w];
    }
    __syncthreads();
    return r;
  };
  m = block_reduce(m, true);
  float sum = 0.0f;
  for (int32_t j = threadIdx.x; j < len; j += blockDim.x) {
    const float p = expf(row[j] - m);
    row[j] = p;
    sum += p;
  }
  sum = block_reduce(sum, false);
  const float inv = 1.0f / sum;
  for (int32_t j = threadIdx.x; j < len; j += blockDim.x) {
    row[j] *= inv;
  }
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
    score_pool_kernel<T>
        <<<blocks, 256, 0, stream>>>(static_cast<T*>(p.out), static_cast<const T*>(p.scores),
                                     p.num_q_heads / p.num_kv_heads, p.num_kv_heads, p.n);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

Status AttentionProbsParams::validate() const {
  if (!is_float_dtype(dtype)) {
    return errorf(StatusCode::kUnimplemented, "attention_probs: dtype %s (expected f32, f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_queries < 0 || head_dim <= 0 || head_dim > 256 || q_row_stride < head_dim ||
      out_row_stride <= 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_probs: num_queries=%d head_dim=%d q_row_stride=%lld "
                  "out_row_stride=%lld, expected head_dim in 1..256 <= q_row_stride",
                  num_queries, head_dim, static_cast<long long>(q_row_stride),
                  static_cast<long long>(out_row_stride));
  }
  if (num_queries > 0 &&
      (out == nullptr || q == nullptr || k == nullptr || cu_capacity == nullptr ||
       kv_lens == nullptr || query_segment == nullptr)) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_probs: null pointer among out, q, k, cu_capacity, kv_lens, "
                  "query_segment");
  }
  return Status();
}

Status launch_attention_probs(const AttentionProbsParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  if (p.num_queries == 0) {
    return Status();
  }
  return dispatch_float_dtype(p.dtype, "attention_probs", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    attention_probs_kernel<T><<<p.num_queries, 256, 0, stream>>>(
        p.out, static_cast<const T*>(p.q), static_cast<const T*>(p.k), p.cu_capacity, p.kv_lens,
        p.query_segment, p.head_dim, p.q_row_stride, p.out_row_stride, p.scale);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
