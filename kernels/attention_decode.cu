// Split-K decode attention. Block (group, split): the group's queries share one segment, so each
// K/V row is loaded once for all of them. 4 warps stream rows of the split; a row is read by
// head_dim * sizeof(T) / 16 lanes with one 16-byte load each (bf16 head_dim 128: half a warp), so
// one warp load covers 1-4 rows, and every sub-row group of lanes takes 4 rows per step, all K and
// V loads of a step issued before any math (memory-level parallelism). Each sub-row lane group
// keeps an online softmax per query (max, sum, unnormalised output); the block merges them, then
// either writes the normalised rows (one split) or their partials (max, sum, output) for
// combine_kernel. The split count depends on the
// lengths and the group count only, never on the card, so results are the same everywhere. All
// math is fp32 with accurate expf.
#include <algorithm>

#include "kernels/attention_decode.h"
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"

namespace hkv::kernels {
namespace {

constexpr int kWarps = 4;
constexpr int kRowsPerStep = 4;            // rows per sub-row lane group per iteration
constexpr int64_t kMaxRowsPerSplit = 512;  // long segments: at most this many rows per block
constexpr int64_t kMinRowsPerSplit = 64;   // few groups: split down to this to fill the GPU
// Blocks the split rule aims for: one wave on a 132-SM Hopper, where a GQA group of 4 needs 168
// registers a thread and so fits 3 blocks per SM (396 slots; 512 blocks ran as 1.3 waves, and
// the second wave set the pace: ncu, bench/NOTES.md). Card-independent, like every split choice.
constexpr int64_t kTargetBlocks = 384;
constexpr int32_t kMaxSplits = 256;

struct DecodeShape {
  int32_t queries_per_segment;
  int32_t implicit_group;  // > 0: group g = queries [g * implicit_group, +implicit_group)
  int32_t num_splits;
  int64_t rows_per_split;
  int64_t q_row_stride;
  float scale;
};

// Sum over the kLanes lanes that hold one row (aligned groups of kLanes lanes of a warp). Every
// lane of the warp must call it.
template <int kLanes>
__device__ __forceinline__ float row_sum(float v) {
#pragma unroll
  for (int offset = kLanes / 2; offset > 0; offset >>= 1) {
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  }
  return v;
}

template <typename T, int kHeadDim, int kGroup>
__global__ void attention_decode_kernel(T* __restrict__ out,             // [num_queries, D]
                                        float* __restrict__ partial_o,   // [nq, splits, D]
                                        float* __restrict__ partial_ml,  // [nq, splits, 2]
                                        const T* __restrict__ q,         // [num_queries, D]
                                        const T* __restrict__ k,         // [rows, D]
                                        const T* __restrict__ v,         // [rows, D]
                                        const int32_t* __restrict__ cu_capacity,    // [S + 1]
                                        const int32_t* __restrict__ kv_lens,        // [S] or null
                                        const int32_t* __restrict__ query_segment,  // [nq] or null
                                        const int32_t* __restrict__ group_start,    // [G+1] / null
                                        DecodeShape shape) {
  constexpr int E = 16 / static_cast<int>(sizeof(T));  // elements per lane: one 16-byte load
  constexpr int kLanesPerRow = kHeadDim / E;           // 8, 16 or 32
  constexpr int kSub = 32 / kLanesPerRow;              // rows one warp load covers
  constexpr int kStreams = kWarps * kSub;              // online softmaxes per block
  __shared__ float sm_m[kStreams][kGroup];
  __shared__ float sm_l[kStreams][kGroup];
  __shared__ float sm_o[kStreams][kGroup][kHeadDim];
  const int g = blockIdx.x;
  const int split = blockIdx.y;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int sub = lane / kLanesPerRow;
  const int col = (lane % kLanesPerRow) * E;
  const int stream = warp * kSub + sub;
  int q0 = g;
  int nq = 1;
  if (group_start != nullptr) {
    q0 = group_start[g];
    nq = group_start[g + 1] - q0;
  } else if (shape.implicit_group > 0) {
    q0 = g * shape.implicit_group;
    nq = shape.implicit_group;
  }
  const int s = query_segment != nullptr ? query_segment[q0] : q0 / shape.queries_per_segment;
  const int64_t seg = cu_capacity[s];
  const int64_t len = kv_lens != nullptr ? kv_lens[s] : cu_capacity[s + 1] - cu_capacity[s];
  const int64_t begin = split * shape.rows_per_split;
  // The last split takes every remaining row, so a low max_kv_len never drops rows.
  const int64_t end = split == shape.num_splits - 1 ? len : min(len, begin + shape.rows_per_split);

  float qf[kGroup][E];
  float m[kGroup];
  float l[kGroup];
  float acc[kGroup][E];
#pragma unroll
  for (int j = 0; j < kGroup; ++j) {
    m[j] = -INFINITY;
    l[j] = 0.0f;
#pragma unroll
    for (int e = 0; e < E; ++e) {
      qf[j][e] = 0.0f;
      acc[j][e] = 0.0f;
    }
    if (j < nq) {
      load_vec<T, E>(q + (q0 + j) * shape.q_row_stride + col, qf[j]);
    }
  }
  // The loop is uniform per warp (shuffles need every lane); each sub-row group of lanes takes
  // kRowsPerStep rows of the warp's kSub * kRowsPerStep.
  for (int64_t rw = begin + warp * kSub * kRowsPerStep; rw < end;
       rw += kWarps * kSub * kRowsPerStep) {
    const int64_t r0 = rw + sub * kRowsPerStep;
    Vec<T, E> kr[kRowsPerStep];
    Vec<T, E> vr[kRowsPerStep];
#pragma unroll
    for (int u = 0; u < kRowsPerStep; ++u) {
      if (r0 + u < end) {
        kr[u] = *reinterpret_cast<const Vec<T, E>*>(k + (seg + r0 + u) * kHeadDim + col);
        vr[u] = *reinterpret_cast<const Vec<T, E>*>(v + (seg + r0 + u) * kHeadDim + col);
      } else {
#pragma unroll
        for (int e = 0; e < E; ++e) {
          kr[u].v[e] = from_float<T>(0.0f);
          vr[u].v[e] = from_float<T>(0.0f);
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kGroup; ++j) {
      if (j >= nq) {
        break;  // nq is uniform over the block
      }
      float score[kRowsPerStep];
      float step_max = m[j];
#pragma unroll
      for (int u = 0; u < kRowsPerStep; ++u) {
        float dot = 0.0f;
#pragma unroll
        for (int e = 0; e < E; ++e) {
          dot += qf[j][e] * to_float<T>(kr[u].v[e]);
        }
        dot = row_sum<kLanesPerRow>(dot) * shape.scale;
        score[u] = r0 + u < end ? dot : -INFINITY;
        step_max = fmaxf(step_max, score[u]);
      }
      if (step_max == -INFINITY) {
        continue;  // no row of this sub-group yet
      }
      const float correction = expf(m[j] - step_max);  // 0 on the first rows (m = -inf)
      l[j] *= correction;
#pragma unroll
      for (int e = 0; e < E; ++e) {
        acc[j][e] *= correction;
      }
#pragma unroll
      for (int u = 0; u < kRowsPerStep; ++u) {
        if (r0 + u < end) {
          const float p = expf(score[u] - step_max);
          l[j] += p;
#pragma unroll
          for (int e = 0; e < E; ++e) {
            acc[j][e] += p * to_float<T>(vr[u].v[e]);
          }
        }
      }
      m[j] = step_max;
    }
  }
#pragma unroll
  for (int j = 0; j < kGroup; ++j) {
    if (col == 0) {
      sm_m[stream][j] = m[j];
      sm_l[stream][j] = l[j];
    }
#pragma unroll
    for (int e = 0; e < E; ++e) {
      sm_o[stream][j][col + e] = acc[j][e];
    }
  }
  __syncthreads();
  for (int j = 0; j < nq; ++j) {
    const int64_t qi = q0 + j;
    float block_m = -INFINITY;
    for (int w = 0; w < kStreams; ++w) {
      block_m = fmaxf(block_m, sm_m[w][j]);
    }
    float block_l = 0.0f;
    float weight[kStreams];
    for (int w = 0; w < kStreams; ++w) {
      weight[w] = sm_l[w][j] > 0.0f ? expf(sm_m[w][j] - block_m) : 0.0f;
      block_l += sm_l[w][j] * weight[w];
    }
    for (int d = threadIdx.x; d < kHeadDim; d += blockDim.x) {
      float o = 0.0f;
      for (int w = 0; w < kStreams; ++w) {
        o += sm_o[w][j][d] * weight[w];
      }
      if (shape.num_splits == 1) {
        out[qi * kHeadDim + d] = from_float<T>(block_l > 0.0f ? o / block_l : 0.0f);
      } else {
        partial_o[(qi * shape.num_splits + split) * kHeadDim + d] = o;
      }
    }
    if (shape.num_splits > 1 && threadIdx.x == 0) {
      float* ml = partial_ml + (qi * shape.num_splits + split) * 2;
      ml[0] = block_m;
      ml[1] = block_l;
    }
  }
}

// Block per query, one thread per dim: rescale every split's partial to the global max and sum.
// The block first finds the max and each split's weight exp(m_split - max) once (shared memory),
// then every thread sums its dim over the splits in split order with the loads unrolled, so the
// arithmetic per output is the plain sequential loop's.
template <typename T, int kHeadDim>
__global__ void combine_kernel(T* __restrict__ out,                   // [num_queries, D]
                               const float* __restrict__ partial_o,   // [nq, splits, D]
                               const float* __restrict__ partial_ml,  // [nq, splits, 2]
                               int32_t num_splits) {
  __shared__ float weight[kMaxSplits];   // [splits]: exp(m_split - max), 0 if empty
  __shared__ float split_l[kMaxSplits];  // [splits]: each split's sum
  __shared__ float scratch[32];          // block_max's per-warp slots
  const int qi = blockIdx.x;
  const int d = threadIdx.x;
  const float* ml = partial_ml + static_cast<int64_t>(qi) * num_splits * 2;  // [splits, 2]
  float m = -INFINITY;
  for (int sp = d; sp < num_splits; sp += kHeadDim) {
    if (ml[2 * sp + 1] > 0.0f) {
      m = fmaxf(m, ml[2 * sp]);
    }
  }
  m = block_max(m, scratch);
  for (int sp = d; sp < num_splits; sp += kHeadDim) {
    split_l[sp] = ml[2 * sp + 1];
    weight[sp] = ml[2 * sp + 1] > 0.0f ? expf(ml[2 * sp] - m) : 0.0f;
  }
  __syncthreads();
  float l = 0.0f;
  float o = 0.0f;
  const float* po = partial_o + static_cast<int64_t>(qi) * num_splits * kHeadDim + d;  // [splits]
#pragma unroll 8
  for (int sp = 0; sp < num_splits; ++sp) {
    const float part = po[static_cast<int64_t>(sp) * kHeadDim];
    if (split_l[sp] > 0.0f) {
      const float w = weight[sp];
      l += split_l[sp] * w;
      o += part * w;
    }
  }
  out[static_cast<int64_t>(qi) * kHeadDim + d] = from_float<T>(l > 0.0f ? o / l : 0.0f);
}

// Queries processed together: explicit groups, implicit GQA groups, or one query each.
struct Grouping {
  int64_t num_groups;
  int32_t max_group;
  int32_t implicit_group;
};

Grouping grouping(const AttentionDecodeParams& p) {
  if (p.group_start != nullptr) {
    return {p.num_groups, p.max_group, 0};
  }
  if (p.query_segment == nullptr && p.queries_per_segment > 1 &&
      p.queries_per_segment <= kAttentionDecodeMaxGroup) {
    return {p.num_segments, p.queries_per_segment, p.queries_per_segment};
  }
  return {p.num_queries, 1, 0};
}

int64_t rows_per_split(const AttentionDecodeParams& p) {
  const int64_t max_len = std::max<int64_t>(p.max_kv_len, 1);
  const int64_t groups = std::max<int64_t>(grouping(p).num_groups, 1);
  const int64_t by_size = (max_len + kMaxRowsPerSplit - 1) / kMaxRowsPerSplit;
  const int64_t by_fill = std::min((kTargetBlocks + groups - 1) / groups,
                                   (max_len + kMinRowsPerSplit - 1) / kMinRowsPerSplit);
  const int64_t splits = std::clamp<int64_t>(std::max(by_size, by_fill), 1, kMaxSplits);
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
  if (group_start != nullptr &&
      (query_segment == nullptr || num_groups <= 0 || num_groups > num_queries || max_group < 1 ||
       max_group > kAttentionDecodeMaxGroup)) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_decode: group_start with num_groups=%d max_group=%d, expected "
                  "query_segment, 1 <= num_groups <= num_queries=%d and 1 <= max_group <= %d",
                  num_groups, max_group, num_queries, kAttentionDecodeMaxGroup);
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

namespace {

// Calls f with IntTag<G> for the smallest compiled group size G >= max_group.
template <typename F>
Status dispatch_group(int32_t max_group, F&& f) {
  if (max_group <= 1) {
    return f(IntTag<1>{});
  }
  if (max_group <= 2) {
    return f(IntTag<2>{});
  }
  if (max_group <= 4) {
    return f(IntTag<4>{});
  }
  return f(IntTag<8>{});
}

}  // namespace

Status launch_attention_decode(const AttentionDecodeParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  const Grouping groups = grouping(params);
  DecodeShape shape;
  shape.queries_per_segment = params.queries_per_segment;
  shape.implicit_group = groups.implicit_group;
  shape.num_splits = attention_decode_num_splits(params);
  shape.rows_per_split = rows_per_split(params);
  shape.q_row_stride = params.q_row_stride;
  shape.scale = params.softmax_scale;
  float* partial_o = static_cast<float*>(params.workspace);
  float* partial_ml = shape.num_splits > 1 ? partial_o + static_cast<int64_t>(params.num_queries) *
                                                             shape.num_splits * params.head_dim
                                           : nullptr;
  const dim3 grid(static_cast<unsigned>(groups.num_groups),
                  static_cast<unsigned>(shape.num_splits));
  return dispatch_float_dtype(params.dtype, "attention_decode", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    return dispatch_head_dim(params.head_dim, "attention_decode", [&](auto dim) -> Status {
      constexpr int kHeadDim = decltype(dim)::value;
      return dispatch_group(groups.max_group, [&](auto group) -> Status {
        constexpr int kGroup = decltype(group)::value;
        T* out = static_cast<T*>(params.out);
        attention_decode_kernel<T, kHeadDim, kGroup><<<grid, kWarps * 32, 0, stream>>>(
            out, partial_o, partial_ml, static_cast<const T*>(params.q),
            static_cast<const T*>(params.k), static_cast<const T*>(params.v), params.cu_capacity,
            params.kv_lens, params.query_segment, params.group_start, shape);
        HKV_CUDA_CHECK_LAUNCH(stream);
        if (shape.num_splits > 1) {
          combine_kernel<T, kHeadDim><<<params.num_queries, kHeadDim, 0, stream>>>(
              out, partial_o, partial_ml, shape.num_splits);
          HKV_CUDA_CHECK_LAUNCH(stream);
        }
        return Status();
      });
    });
  });
}

}  // namespace hkv::kernels
