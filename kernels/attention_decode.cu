// Split-K decode attention. Block (query, split): 4 warps stream rows of the split, 4 rows per
// warp step; lane l holds head_dim/32 consecutive dims of q, of the running output and of each
// K/V row (one coalesced 128..512-byte row read per warp). Each warp keeps an online softmax
// (max, sum, unnormalised output); the block merges its warps, then either writes the normalised
// row (one split) or its partial (max, sum, output) for combine_kernel. All math is fp32 with
// accurate expf.
#include <algorithm>

#include "kernels/attention_decode.h"
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"

namespace hkv::kernels {
namespace {

constexpr int kWarps = 4;
constexpr int kRowsPerStep = 4;         // rows per warp per iteration, for memory-level parallelism
constexpr int64_t kRowsPerSplit = 512;  // target split size: 32 heads x 4k rows fill 256 blocks
constexpr int32_t kMaxSplits = 256;

struct DecodeShape {
  int32_t queries_per_segment;
  int32_t num_splits;
  int64_t rows_per_split;
  int64_t q_row_stride;
  float scale;
};

template <typename T, int kHeadDim>
__global__ void attention_decode_kernel(T* __restrict__ out,             // [num_queries, D]
                                        float* __restrict__ partial_o,   // [nq, splits, D]
                                        float* __restrict__ partial_ml,  // [nq, splits, 2]
                                        const T* __restrict__ q,         // [num_queries, D]
                                        const T* __restrict__ k,         // [rows, D]
                                        const T* __restrict__ v,         // [rows, D]
                                        const int32_t* __restrict__ cu_capacity,    // [S + 1]
                                        const int32_t* __restrict__ kv_lens,        // [S] or null
                                        const int32_t* __restrict__ query_segment,  // [nq] or null
                                        DecodeShape shape) {
  constexpr int N = kHeadDim / 32;
  __shared__ float warp_m[kWarps];
  __shared__ float warp_l[kWarps];
  __shared__ float warp_o[kWarps][kHeadDim];
  const int qi = blockIdx.x;
  const int split = blockIdx.y;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int s = query_segment != nullptr ? query_segment[qi] : qi / shape.queries_per_segment;
  const int64_t seg = cu_capacity[s];
  const int64_t len = kv_lens != nullptr ? kv_lens[s] : cu_capacity[s + 1] - cu_capacity[s];
  const int64_t begin = split * shape.rows_per_split;
  // The last split takes every remaining row, so a low max_kv_len never drops rows.
  const int64_t end = split == shape.num_splits - 1 ? len : min(len, begin + shape.rows_per_split);

  float qf[N];
  load_vec<T, N>(q + qi * shape.q_row_stride + lane * N, qf);
  float m = -INFINITY;
  float l = 0.0f;
  float acc[N];
#pragma unroll
  for (int e = 0; e < N; ++e) {
    acc[e] = 0.0f;
  }
  for (int64_t r0 = begin + warp * kRowsPerStep; r0 < end; r0 += kWarps * kRowsPerStep) {
    float score[kRowsPerStep];
    float step_max = m;
#pragma unroll
    for (int u = 0; u < kRowsPerStep; ++u) {
      score[u] = -INFINITY;
      if (r0 + u < end) {
        float kf[N];
        load_vec<T, N>(k + (seg + r0 + u) * kHeadDim + lane * N, kf);
        float dot = 0.0f;
#pragma unroll
        for (int e = 0; e < N; ++e) {
          dot += qf[e] * kf[e];
        }
        score[u] = warp_sum(dot) * shape.scale;
        step_max = fmaxf(step_max, score[u]);
      }
    }
    const float correction = expf(m - step_max);  // 0 on the first step (m = -inf)
    l *= correction;
#pragma unroll
    for (int e = 0; e < N; ++e) {
      acc[e] *= correction;
    }
#pragma unroll
    for (int u = 0; u < kRowsPerStep; ++u) {
      if (r0 + u < end) {
        const float p = expf(score[u] - step_max);
        l += p;
        float vf[N];
        load_vec<T, N>(v + (seg + r0 + u) * kHeadDim + lane * N, vf);
#pragma unroll
        for (int e = 0; e < N; ++e) {
          acc[e] += p * vf[e];
        }
      }
    }
    m = step_max;
  }
  if (lane == 0) {
    warp_m[warp] = m;
    warp_l[warp] = l;
  }
#pragma unroll
  for (int e = 0; e < N; ++e) {
    warp_o[warp][lane * N + e] = acc[e];
  }
  __syncthreads();
  float block_m = -INFINITY;
  for (int w = 0; w < kWarps; ++w) {
    block_m = fmaxf(block_m, warp_m[w]);
  }
  float block_l = 0.0f;
  float weight[kWarps];
  for (int w = 0; w < kWarps; ++w) {
    weight[w] = warp_l[w] > 0.0f ? expf(warp_m[w] - block_m) : 0.0f;
    block_l += warp_l[w] * weight[w];
  }
  for (int d = threadIdx.x; d < kHeadDim; d += blockDim.x) {
    float o = 0.0f;
    for (int w = 0; w < kWarps; ++w) {
      o += warp_o[w][d] * weight[w];
    }
    if (shape.num_splits == 1) {
      out[static_cast<int64_t>(qi) * kHeadDim + d] =
          from_float<T>(block_l > 0.0f ? o / block_l : 0.0f);
    } else {
      partial_o[(static_cast<int64_t>(qi) * shape.num_splits + split) * kHeadDim + d] = o;
    }
  }
  if (shape.num_splits > 1 && threadIdx.x == 0) {
    float* ml = partial_ml + (static_cast<int64_t>(qi) * shape.num_splits + split) * 2;
    ml[0] = block_m;
    ml[1] = block_l;
  }
}

// Block per query, one thread per dim: rescale every split's partial to the global max and sum.
template <typename T, int kHeadDim>
__global__ void combine_kernel(T* __restrict__ out,                   // [num_queries, D]
                               const float* __restrict__ partial_o,   // [nq, splits, D]
                               const float* __restrict__ partial_ml,  // [nq, splits, 2]
                               int32_t num_splits) {
  const int qi = blockIdx.x;
  const int d = threadIdx.x;
  const float* ml = partial_ml + static_cast<int64_t>(qi) * num_splits * 2;
  float m = -INFINITY;
  for (int sp = 0; sp < num_splits; ++sp) {
    if (ml[2 * sp + 1] > 0.0f) {
      m = fmaxf(m, ml[2 * sp]);
    }
  }
  float l = 0.0f;
  float o = 0.0f;
  for (int sp = 0; sp < num_splits; ++sp) {
    if (ml[2 * sp + 1] > 0.0f) {
      const float w = expf(ml[2 * sp] - m);
      l += ml[2 * sp + 1] * w;
      o += partial_o[(static_cast<int64_t>(qi) * num_splits + sp) * kHeadDim + d] * w;
    }
  }
  out[static_cast<int64_t>(qi) * kHeadDim + d] = from_float<T>(l > 0.0f ? o / l : 0.0f);
}

int64_t rows_per_split(const AttentionDecodeParams& p) {
  const int64_t max_len = std::max<int64_t>(p.max_kv_len, 1);
  const int64_t splits =
      std::min<int64_t>((max_len + kRowsPerSplit - 1) / kRowsPerSplit, kMaxSplits);
  return (max_len + splits - 1) / splits;
}

}  // namespace

int32_t attention_decode_num_splits(const AttentionDecodeParams& p) {
  const int64_t max_len = std::max<int64_t>(p.max_kv_len, 1);
  const int64_t per = rows_per_split(p);
  return static_cast<int32_t>((max_len + per - 1) / per);
}

int64_t attention_decode_workspace_bytes(const AttentionDecodeParams& p) {
  const int32_t splits = attention_decode_num_splits(p);
  if (splits <= 1 || p.num_queries <= 0 || p.head_dim <= 0) {
    return 0;
  }
  return static_cast<int64_t>(p.num_queries) * splits * (p.head_dim + 2) *
         static_cast<int64_t>(sizeof(float));
}

Status AttentionDecodeParams::validate() const {
  if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBf16) {
    return errorf(StatusCode::kUnimplemented,
                  "attention_decode: dtype %s not compiled (f32, f16, bf16)", dtype_name(dtype));
  }
  if (head_dim != 64 && head_dim != 128) {
    return errorf(StatusCode::kUnimplemented,
                  "attention_decode: head_dim=%d not compiled (64, 128)", head_dim);
  }
  if (num_segments <= 0 || num_queries <= 0 ||
      (query_segment == nullptr &&
       (queries_per_segment <= 0 ||
        static_cast<int64_t>(num_segments) * queries_per_segment != num_queries))) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_decode: num_queries=%d, expected num_segments=%d x "
                  "queries_per_segment=%d",
                  num_queries, num_segments, queries_per_segment);
  }
  if (q_row_stride < head_dim || q_row_stride % 8 != 0 || max_kv_len < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_decode: q_row_stride=%lld max_kv_len=%lld, expected a multiple of 8 "
                  ">= head_dim=%d and max_kv_len >= 0",
                  static_cast<long long>(q_row_stride), static_cast<long long>(max_kv_len),
                  head_dim);
  }
  if (out == nullptr || q == nullptr || k == nullptr || v == nullptr || cu_capacity == nullptr) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_decode: null pointer among out, q, k, v, cu_capacity");
  }
  if (!is_aligned(q, 16) || !is_aligned(k, 16) || !is_aligned(v, 16)) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_decode: q, k and v must be 16-byte aligned");
  }
  const int64_t need = attention_decode_workspace_bytes(*this);
  if (workspace_bytes < need ||
      (need > 0 && (workspace == nullptr || !is_aligned(workspace, 16)))) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_decode: workspace of %lld bytes, expected >= %lld (16-byte aligned)",
                  static_cast<long long>(workspace == nullptr ? 0 : workspace_bytes),
                  static_cast<long long>(need));
  }
  return Status();
}

Status launch_attention_decode(const AttentionDecodeParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  DecodeShape shape;
  shape.queries_per_segment = params.queries_per_segment;
  shape.num_splits = attention_decode_num_splits(params);
  shape.rows_per_split = rows_per_split(params);
  shape.q_row_stride = params.q_row_stride;
  shape.scale = params.softmax_scale;
  float* partial_o = static_cast<float*>(params.workspace);
  float* partial_ml = shape.num_splits > 1 ? partial_o + static_cast<int64_t>(params.num_queries) *
                                                             shape.num_splits * params.head_dim
                                           : nullptr;
  const dim3 grid(static_cast<unsigned>(params.num_queries),
                  static_cast<unsigned>(shape.num_splits));
  return dispatch_float_dtype(params.dtype, "attention_decode", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    return dispatch_head_dim(params.head_dim, "attention_decode", [&](auto dim) -> Status {
      constexpr int kHeadDim = decltype(dim)::value;
      T* out = static_cast<T*>(params.out);
      attention_decode_kernel<T, kHeadDim><<<grid, kWarps * 32, 0, stream>>>(
          out, partial_o, partial_ml, static_cast<const T*>(params.q),
          static_cast<const T*>(params.k), static_cast<const T*>(params.v), params.cu_capacity,
          params.kv_lens, params.query_segment, shape);
      HKV_CUDA_CHECK_LAUNCH(stream);
      if (shape.num_splits > 1) {
        combine_kernel<T, kHeadDim><<<params.num_queries, kHeadDim, 0, stream>>>(
            out, partial_o, partial_ml, shape.num_splits);
        HKV_CUDA_CHECK_LAUNCH(stream);
      }
      return Status();
    });
  });
}

}  // namespace hkv::kernels
