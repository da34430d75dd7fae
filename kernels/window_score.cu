// Window score in three passes over the keys, so the [w, L] probabilities never hit memory:
//   1. row_max_kernel:   per (head, 256-key chunk) partial maxima of each window row's logits;
//   2. row_sum_kernel:   the exact row max, then per-chunk partial sums of exp(x - max);
//   3. score_kernel:     per (head, 256-column tile, plus pooling halo) the probabilities of the
//                        prefix columns, rounded to dtype, summed over the rows in row order,
//                        rounded, then pooled.
// Logits are recomputed in every pass (3 x w x L x D MACs per head, cheap next to the prefill).
// The dot product is a sequential fp32 chain of separately rounded multiplies and adds
// (__fmul_rn/__fadd_rn, no FMA) in d order, like the host reference, so logits match it bit for
// bit; only the row sum's order (tree vs sequential) and expf's last ulp differ from it.
#include <cmath>

#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/window_score.h"

namespace hkv::kernels {
namespace {

constexpr int kThreads = 256;  // one key (passes 1-2) or column (pass 3) per thread
constexpr int kRowGroup = 8;   // window rows computed together per key (register accumulators)
constexpr int kMaxHalo = 127;  // kernel_size <= 255
constexpr int kMaxWindow = 64;

// The additive causal-mask value: finfo(dtype).min.
template <typename T>
__device__ __forceinline__ float mask_min();

template <>
__device__ __forceinline__ float mask_min<__half>() {
  return -65504.0f;
}

template <>
__device__ __forceinline__ float mask_min<__nv_bfloat16>() {
  return -3.38953138925153547590470800371487866880e+38f;
}

struct ScoreShape {
  int32_t window;
  int32_t head_dim;
  int32_t group;  // q heads per kv head
  int64_t num_tokens;
  int64_t prefix;  // num_tokens - window
  int64_t q_head_stride;
  int64_t q_row_stride;
  int64_t k_head_stride;
  int64_t k_row_stride;
  int32_t num_chunks;  // ceil(num_tokens / kThreads)
  float sum_sqrt_d;    // float32(1 / float32(sqrt(head_dim)))
};

// Stages q head h as float into shared memory: q_s[i * D + d].
template <typename T>
__device__ void load_q(float* q_s, const T* q, const ScoreShape& s, int h) {
  const int n = s.window * s.head_dim;
  for (int e = threadIdx.x; e < n; e += blockDim.x) {
    const int i = e / s.head_dim;
    const int d = e % s.head_dim;
    q_s[e] = to_float<T>(q[h * s.q_head_stride + i * s.q_row_stride + d]);
  }
}

// The softmax inputs x[ii] of rows i0 .. i0+rows-1 for key j: fp16(dot), fp16(a * 1/sqrt(D)),
// plus the fp16 mask add for window keys after the row's own position.
template <typename T>
__device__ void row_group_logits(const float* q_s,
                                 const T* krow,  // [head_dim]
                                 const ScoreShape& s,
                                 int64_t j,
                                 int i0,
                                 int rows,
                                 float (&x)[kRowGroup]) {
  float acc[kRowGroup];
#pragma unroll
  for (int ii = 0; ii < kRowGroup; ++ii) {
    acc[ii] = 0.0f;
  }
  for (int d0 = 0; d0 < s.head_dim; d0 += 8) {
    float kf[8];
    load_vec<T, 8>(krow + d0, kf);
#pragma unroll
    for (int ii = 0; ii < kRowGroup; ++ii) {
      if (ii < rows) {
        const float* qrow = q_s + (i0 + ii) * s.head_dim + d0;
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          acc[ii] = __fadd_rn(acc[ii], __fmul_rn(qrow[e], kf[e]));
        }
      }
    }
  }
#pragma unroll
  for (int ii = 0; ii < kRowGroup; ++ii) {
    float v = round_to<T>(__fmul_rn(round_to<T>(acc[ii]), s.sum_sqrt_d));
    if (j >= s.prefix && j - s.prefix > i0 + ii) {
      v = round_to<T>(__fadd_rn(v, mask_min<T>()));
    }
    x[ii] = v;
  }
}

template <typename T>
__global__ void row_max_kernel(float* __restrict__ partial_max,  // [num_q_heads, w, num_chunks]
                               const T* __restrict__ q,          // [num_q_heads, w, D], strided
                               const T* __restrict__ k,          // [num_kv_heads, L, D], strided
                               ScoreShape s) {
  extern __shared__ float q_s[];  // [w, D]
  __shared__ float scratch[32];
  const int h = blockIdx.y;
  load_q(q_s, q, s, h);
  __syncthreads();
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const bool valid = j < s.num_tokens;
  const T* krow = k + (h / s.group) * s.k_head_stride + (valid ? j : 0) * s.k_row_stride;
  for (int i0 = 0; i0 < s.window; i0 += kRowGroup) {
    const int rows = min(kRowGroup, s.window - i0);
    float x[kRowGroup];
    row_group_logits(q_s, krow, s, j, i0, rows, x);
    for (int ii = 0; ii < rows; ++ii) {
      const float m = block_max(valid ? x[ii] : -INFINITY, scratch);
      if (threadIdx.x == 0) {
        partial_max[(static_cast<int64_t>(h) * s.window + i0 + ii) * s.num_chunks + blockIdx.x] = m;
      }
    }
  }
}

// Row maxima from the partials into m_s[w] (threads < w, one row each).
__device__ void gather_row_max(float* m_s, const float* partial_max, const ScoreShape& s, int h) {
  if (threadIdx.x < s.window) {
    const float* p =
        partial_max + (static_cast<int64_t>(h) * s.window + threadIdx.x) * s.num_chunks;
    float m = -INFINITY;
    for (int c = 0; c < s.num_chunks; ++c) {
      m = fmaxf(m, p[c]);
    }
    m_s[threadIdx.x] = m;
  }
}

template <typename T>
__global__ void row_sum_kernel(float* __restrict__ partial_sum,        // [num_q_heads, w, chunks]
                               const float* __restrict__ partial_max,  // [num_q_heads, w, chunks]
                               const T* __restrict__ q,                // [num_q_heads, w, D]
                               const T* __restrict__ k,                // [num_kv_heads, L, D]
                               ScoreShape s) {
  extern __shared__ float q_s[];  // [w, D]
  __shared__ float m_s[kMaxWindow];
  __shared__ float scratch[32];
  const int h = blockIdx.y;
  load_q(q_s, q, s, h);
  gather_row_max(m_s, partial_max, s, h);
  __syncthreads();
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const bool valid = j < s.num_tokens;
  const T* krow = k + (h / s.group) * s.k_head_stride + (valid ? j : 0) * s.k_row_stride;
  for (int i0 = 0; i0 < s.window; i0 += kRowGroup) {
    const int rows = min(kRowGroup, s.window - i0);
    float x[kRowGroup];
    row_group_logits(q_s, krow, s, j, i0, rows, x);
    for (int ii = 0; ii < rows; ++ii) {
      const float e = valid ? expf(x[ii] - m_s[i0 + ii]) : 0.0f;
      const float sum = block_sum(e, scratch);
      if (threadIdx.x == 0) {
        partial_sum[(static_cast<int64_t>(h) * s.window + i0 + ii) * s.num_chunks + blockIdx.x] =
            sum;
      }
    }
  }
}

template <typename T>
__global__ void score_kernel(T* __restrict__ scores,                 // [num_q_heads, prefix]
                             const float* __restrict__ partial_max,  // [num_q_heads, w, chunks]
                             const float* __restrict__ partial_sum,  // [num_q_heads, w, chunks]
                             const T* __restrict__ q,                // [num_q_heads, w, D]
                             const T* __restrict__ k,                // [num_kv_heads, L, D]
                             ScoreShape s,
                             int32_t kernel_size,
                             bool mean,
                             bool maxpool) {
  extern __shared__ float q_s[];  // [w, D]
  __shared__ float m_s[kMaxWindow];
  __shared__ float sum_s[kMaxWindow];
  __shared__ float reduced[kThreads + 2 * kMaxHalo];
  const int h = blockIdx.y;
  const int halo = kernel_size / 2;
  const int64_t tile = static_cast<int64_t>(blockIdx.x) * kThreads;
  const int64_t lo = max(tile - halo, int64_t{0});
  const int64_t hi = min(tile + kThreads + halo, s.prefix);
  load_q(q_s, q, s, h);
  gather_row_max(m_s, partial_max, s, h);
  if (threadIdx.x < s.window) {
    // The chunk partials summed in chunk order: one fixed order, deterministic run to run.
    const float* p =
        partial_sum + (static_cast<int64_t>(h) * s.window + threadIdx.x) * s.num_chunks;
    float sum = 0.0f;
    for (int c = 0; c < s.num_chunks; ++c) {
      sum += p[c];
    }
    sum_s[threadIdx.x] = sum;
  }
  __syncthreads();
  for (int64_t j = lo + threadIdx.x; j < hi; j += blockDim.x) {
    const T* krow = k + (h / s.group) * s.k_head_stride + j * s.k_row_stride;
    float col = 0.0f;  // rows summed in order i = 0 .. w-1, as the host reference
    for (int i0 = 0; i0 < s.window; i0 += kRowGroup) {
      const int rows = min(kRowGroup, s.window - i0);
      float x[kRowGroup];
      row_group_logits(q_s, krow, s, j, i0, rows, x);
      for (int ii = 0; ii < rows; ++ii) {
        col += round_to<T>(expf(x[ii] - m_s[i0 + ii]) / sum_s[i0 + ii]);
      }
    }
    reduced[j - lo] = round_to<T>(mean ? col / static_cast<float>(s.window) : col);
  }
  __syncthreads();
  const int64_t j = tile + threadIdx.x;
  if (j >= s.prefix) {
    return;
  }
  const int64_t a = max(j - halo, int64_t{0});
  const int64_t b = min(j + halo, s.prefix - 1);
  float out;
  if (maxpool) {
    out = -INFINITY;
    for (int64_t t = a; t <= b; ++t) {
      out = fmaxf(out, reduced[t - lo]);
    }
  } else {
    float sum = 0.0f;  // zero padding adds nothing; divided by the full kernel size
    for (int64_t t = a; t <= b; ++t) {
      sum += reduced[t - lo];
    }
    out = sum / static_cast<float>(kernel_size);
  }
  scores[static_cast<int64_t>(h) * s.prefix + j] = from_float<T>(out);
}

int32_t num_key_chunks(int64_t num_tokens) {
  return static_cast<int32_t>((num_tokens + kThreads - 1) / kThreads);
}

bool strides_ok(int64_t v) {
  return v >= 0 && v % 8 == 0;
}

}  // namespace

int64_t window_score_workspace_bytes(const WindowScoreParams& p) {
  if (p.num_q_heads <= 0 || p.window <= 0 || p.num_tokens <= 0) {
    return 0;
  }
  const int64_t per_array =
      static_cast<int64_t>(p.num_q_heads) * p.window * num_key_chunks(p.num_tokens);
  return 2 * per_array * static_cast<int64_t>(sizeof(float));
}

Status WindowScoreParams::validate() const {
  if (dtype != DType::kF16 && dtype != DType::kBf16) {
    return errorf(StatusCode::kUnimplemented, "window_score: dtype %s not compiled (f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_q_heads <= 0 || num_kv_heads <= 0 || num_q_heads % num_kv_heads != 0 ||
      num_q_heads > 65535) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: num_q_heads=%d num_kv_heads=%d, expected a positive multiple "
                  "(<= 65535)",
                  num_q_heads, num_kv_heads);
  }
  if (window < 1 || window > kMaxWindow || num_tokens <= window || num_tokens > (1LL << 31)) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: window=%d num_tokens=%lld, expected 1 <= window <= %d < "
                  "num_tokens <= 2^31",
                  window, static_cast<long long>(num_tokens), kMaxWindow);
  }
  if (head_dim <= 0 || head_dim % 8 != 0 || window * head_dim > 12288) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: head_dim=%d window=%d, expected head_dim a multiple of 8 and "
                  "window * head_dim <= 12288",
                  head_dim, window);
  }
  if (kernel_size < 1 || kernel_size % 2 == 0 || kernel_size > 2 * kMaxHalo + 1) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: kernel_size=%d, expected odd and in [1, %d]", kernel_size,
                  2 * kMaxHalo + 1);
  }
  if (!strides_ok(q_head_stride) || !strides_ok(q_row_stride) || !strides_ok(k_head_stride) ||
      !strides_ok(k_row_stride) || q_row_stride < head_dim || k_row_stride < head_dim) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: strides q=(%lld, %lld) k=(%lld, %lld), expected multiples of 8 "
                  "(16-byte rows) with row strides >= head_dim=%d",
                  static_cast<long long>(q_head_stride), static_cast<long long>(q_row_stride),
                  static_cast<long long>(k_head_stride), static_cast<long long>(k_row_stride),
                  head_dim);
  }
  if (scores == nullptr || q == nullptr || k == nullptr || workspace == nullptr) {
    return errorf(
        StatusCode::kInvalidArgument, "window_score: null %s pointer",
        scores == nullptr ? "scores" : (q == nullptr ? "q" : (k == nullptr ? "k" : "workspace")));
  }
  if (!is_aligned(q, 16) || !is_aligned(k, 16) || !is_aligned(workspace, 16)) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: q, k and workspace must be 16-byte aligned");
  }
  const int64_t need = window_score_workspace_bytes(*this);
  if (workspace_bytes < need) {
    return errorf(StatusCode::kInvalidArgument,
                  "window_score: workspace_bytes=%lld, expected >= %lld",
                  static_cast<long long>(workspace_bytes), static_cast<long long>(need));
  }
  return Status();
}

Status launch_window_score(const WindowScoreParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  ScoreShape s;
  s.window = params.window;
  s.head_dim = params.head_dim;
  s.group = params.num_q_heads / params.num_kv_heads;
  s.num_tokens = params.num_tokens;
  s.prefix = params.num_tokens - params.window;
  s.q_head_stride = params.q_head_stride;
  s.q_row_stride = params.q_row_stride;
  s.k_head_stride = params.k_head_stride;
  s.k_row_stride = params.k_row_stride;
  s.num_chunks = num_key_chunks(params.num_tokens);
  // PyTorch's `a / math.sqrt(D)` on a half tensor multiplies by the float32 reciprocal.
  s.sum_sqrt_d = 1.0f / static_cast<float>(std::sqrt(static_cast<double>(params.head_dim)));
  const size_t q_smem = static_cast<size_t>(params.window) * params.head_dim * sizeof(float);
  const int64_t per_array = static_cast<int64_t>(params.num_q_heads) * params.window * s.num_chunks;
  float* partial_max = static_cast<float*>(params.workspace);
  float* partial_sum = partial_max + per_array;
  const dim3 key_grid(static_cast<unsigned>(s.num_chunks),
                      static_cast<unsigned>(params.num_q_heads));
  const dim3 col_grid(static_cast<unsigned>((s.prefix + kThreads - 1) / kThreads),
                      static_cast<unsigned>(params.num_q_heads));
  return dispatch_half_dtype(params.dtype, "window_score", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* q = static_cast<const T*>(params.q);
    const T* k = static_cast<const T*>(params.k);
    row_max_kernel<T><<<key_grid, kThreads, q_smem, stream>>>(partial_max, q, k, s);
    HKV_CUDA_CHECK_LAUNCH(stream);
    row_sum_kernel<T><<<key_grid, kThreads, q_smem, stream>>>(partial_sum, partial_max, q, k, s);
    HKV_CUDA_CHECK_LAUNCH(stream);
    score_kernel<T><<<col_grid, kThreads, q_smem, stream>>>(
        static_cast<T*>(params.scores), partial_max, partial_sum, q, k, s, params.kernel_size,
        params.reduce == ScoreReduce::kMean, params.pool == ScorePool::kMax);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
