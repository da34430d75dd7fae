// Small-M linear layers (kernels/gemv.h). One launch serves up to kGemvMaxFused layers that read
// the same input (q, k and v projections): each owns a contiguous range of blocks. Block = 4 warps;
// each output feature belongs to `split` warps (1, 2 or 4: more when the launch has few features,
// so the GPU has enough weight bytes in flight), which take interleaved 512-byte chunks of the
// feature's weight row with 16-byte loads (8 per lane in flight, marked evict-first since every
// weight byte is read once per step), dot them with each of the m input rows (read through L1;
// every warp shares them) and reduce over the warp; the first warp adds the others' shares in
// order and writes fp32 + beta * out rounded once to the output dtype, as cublasGemmEx with
// alpha = 1 does. Deterministic: no atomics.
#include <cstdint>
#include <span>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/common.cuh"
#include "kernels/gemv.h"

namespace hkv::kernels::internal {
namespace {

constexpr int kWarps = 4;
constexpr int kUnroll = 8;              // 16-byte weight loads per lane in flight
constexpr int64_t kTargetWarps = 8192;  // warps a launch aims for (132 SMs x 64 = 8448)

// Sum of the 8 products of two 16-byte vectors of 16-bit values, added to acc in element order.
template <typename T>
__device__ __forceinline__ float dot8(const uint4& a, const uint4& b, float acc) {
  const T* x = reinterpret_cast<const T*>(&a);
  const T* y = reinterpret_cast<const T*>(&b);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    acc = fmaf(to_float<T>(x[i]), to_float<T>(y[i]), acc);
  }
  return acc;
}

// One layer of a fused launch: its weight, output and the first block of its range.
struct GemvLayer {
  void* out;           // [M, ld_out]
  const void* weight;  // [n, k]
  int64_t n;
  int64_t ld_out;
  int64_t first_block;
};

struct GemvLayers {
  GemvLayer layer[kGemvMaxFused];
  int count;
  int split;  // warps per output feature (1, 2 or 4), each over an interleaved share of k
};

template <typename T, typename TOut, int M>
__global__ void __launch_bounds__(kWarps * 32) gemv_kernel(GemvLayers layers,
                                                           const T* __restrict__ in,  // [M, ld_in]
                                                           int64_t k,
                                                           int64_t ld_in,
                                                           float beta) {
  __shared__ float partial[kWarps][M];  // [warp, m]: each warp's share of its feature's dots
  // The block's layer, selected with constant indices (a dynamic index would copy the
  // parameter struct to local memory).
  GemvLayer L = layers.layer[0];
#pragma unroll
  for (int j = 1; j < kGemvMaxFused; ++j) {
    if (j < layers.count && blockIdx.x >= layers.layer[j].first_block) {
      L = layers.layer[j];
    }
  }
  TOut* __restrict__ out = static_cast<TOut*>(L.out);              // [M, ld_out]
  const T* __restrict__ weight = static_cast<const T*>(L.weight);  // [n, k]
  const int split = layers.split;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, part = warp % split;
  const int64_t row =
      (static_cast<int64_t>(blockIdx.x) - L.first_block) * (kWarps / split) + warp / split;
  const bool valid = row < L.n;  // warps past n still reach the barrier below
  const int64_t vecs = k / 8;
  const uint4* w = reinterpret_cast<const uint4*>(weight + (valid ? row : 0) * k);  // [vecs]
  float acc[M];
#pragma unroll
  for (int m = 0; m < M; ++m) {
    acc[m] = 0.0f;
  }
  // Warp `part` takes the 32-vector (512-byte) chunks part, part + split, ... of the row.
  const int64_t step = 32 * static_cast<int64_t>(split);
  for (int64_t base = valid ? part * 32 + lane : vecs; base < vecs; base += step * kUnroll) {
    uint4 wv[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t i = base + u * step;
      wv[u] = i < vecs ? __ldcs(w + i) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int64_t i = base + u * step;
      if (i < vecs) {
#pragma unroll
        for (int m = 0; m < M; ++m) {
          const uint4 xv = __ldg(reinterpret_cast<const uint4*>(in + m * ld_in) + i);
          acc[m] = dot8<T>(wv[u], xv, acc[m]);
        }
      }
    }
  }
#pragma unroll
  for (int m = 0; m < M; ++m) {
    const float total = warp_sum(acc[m]);
    if (lane == 0) {
      partial[warp][m] = total;
    }
  }
  if (split > 1) {
    __syncthreads();  // split is uniform over the grid
  }
  if (valid && part == 0 && lane == 0) {
#pragma unroll
    for (int m = 0; m < M; ++m) {
      float total = partial[warp][m];
      for (int p = 1; p < split; ++p) {
        total += partial[warp + p][m];
      }
      TOut* dst = out + m * L.ld_out + row;
      const float prior = beta != 0.0f ? beta * to_float<TOut>(*dst) : 0.0f;
      *dst = from_float<TOut>(total + prior);
    }
  }
}

template <typename T, typename TOut, int M>
void launch_m(const GemvLayers& layers,
              unsigned blocks,
              const LinearParams& p,
              cudaStream_t stream) {
  const int64_t ld_in = p.in_row_stride == 0 ? p.k : p.in_row_stride;
  gemv_kernel<T, TOut, M>
      <<<blocks, kWarps * 32, 0, stream>>>(layers, static_cast<const T*>(p.in), p.k, ld_in, p.beta);
}

// p: the first layer's params (input, m, k, dtypes and beta are shared by the group).
template <typename T, typename TOut>
Status launch_typed(const GemvLayers& layers,
                    unsigned blocks,
                    const LinearParams& p,
                    cudaStream_t stream) {
  switch (p.m) {
    case 1:
      launch_m<T, TOut, 1>(layers, blocks, p, stream);
      break;
    case 2:
      launch_m<T, TOut, 2>(layers, blocks, p, stream);
      break;
    case 3:
      launch_m<T, TOut, 3>(layers, blocks, p, stream);
      break;
    default:
      return errorf(StatusCode::kInternal, "gemv: m=%lld, expected 1 to %lld",
                    static_cast<long long>(p.m), static_cast<long long>(kGemvMaxRows));
  }
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

}  // namespace

bool gemv_applies(const LinearParams& p) {
  const bool half = p.dtype == DType::kF16 || p.dtype == DType::kBf16;
  const int64_t ld_in = p.in_row_stride == 0 ? p.k : p.in_row_stride;
  return half && p.m >= 1 && p.m <= kGemvMaxRows &&
         (p.out_dtype == p.dtype || p.out_dtype == DType::kF32) && p.k % 8 == 0 && ld_in % 8 == 0 &&
         is_aligned(p.in, 16) && is_aligned(p.weight, 16);
}

bool gemv_can_fuse(const LinearParams& a, const LinearParams& b) {
  return gemv_applies(a) && gemv_applies(b) && a.in == b.in && a.m == b.m && a.k == b.k &&
         a.in_row_stride == b.in_row_stride && a.beta == b.beta && a.dtype == b.dtype &&
         a.out_dtype == b.out_dtype;
}

Status launch_gemv(std::span<const LinearParams> group, cudaStream_t stream) {
  if (group.empty() || group.size() > static_cast<size_t>(kGemvMaxFused)) {
    return errorf(StatusCode::kInternal, "gemv: %zu layers in one launch, expected 1 to %d",
                  group.size(), kGemvMaxFused);
  }
  const LinearParams& p = group[0];
  for (const LinearParams& q : group) {
    if (!gemv_can_fuse(p, q)) {
      return errorf(StatusCode::kInternal,
                    "gemv: m=%lld k=%lld dtype %s -> %s is not a small-M shape sharing the "
                    "group's input (expected m in [1, %lld], k %% 8 == 0, 16-bit operands, "
                    "16-byte aligned, one input, m, k, beta and dtype for the group)",
                    static_cast<long long>(q.m), static_cast<long long>(q.k), dtype_name(q.dtype),
                    dtype_name(q.out_dtype), static_cast<long long>(kGemvMaxRows));
    }
  }
  GemvLayers layers{};
  // Few features (q/k/v, o and down at decode) leave the GPU short of warps streaming weights:
  // split each feature over up to 4 warps until the launch has ~8192 of them (a full H100).
  int64_t total_n = 0;
  for (const LinearParams& q : group) {
    total_n += q.n;
  }
  layers.split = 1;
  while (layers.split < kWarps && total_n * layers.split < kTargetWarps) {
    layers.split *= 2;
  }
  const int64_t rows_per_block = kWarps / layers.split;
  int64_t blocks = 0;
  for (const LinearParams& q : group) {
    layers.layer[layers.count++] = {q.out, q.weight, q.n,
                                    q.out_row_stride == 0 ? q.n : q.out_row_stride, blocks};
    blocks += (q.n + rows_per_block - 1) / rows_per_block;
  }
  if (blocks > 2147483647LL) {
    return errorf(StatusCode::kInvalidArgument, "gemv: %lld blocks exceed the grid limit",
                  static_cast<long long>(blocks));
  }
  const auto grid = static_cast<unsigned>(blocks);
  if (p.dtype == DType::kF16) {
    return p.out_dtype == DType::kF32 ? launch_typed<__half, float>(layers, grid, p, stream)
                                      : launch_typed<__half, __half>(layers, grid, p, stream);
  }
  return p.out_dtype == DType::kF32
             ? launch_typed<__nv_bfloat16, float>(layers, grid, p, stream)
             : launch_typed<__nv_bfloat16, __nv_bfloat16>(layers, grid, p, stream);
}

}  // namespace hkv::kernels::internal
