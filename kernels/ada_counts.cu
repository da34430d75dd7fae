// Ada-SnapKV counts: one block per segment computes the ratio with a single thread summing a
// shared-memory chunk at a time (the order and the float adds of the CPU rule), then scales its
// scores; a stable radix sort over the layer orders (score desc, flat index asc); the first S x C
// entries are counted per segment.
#include <algorithm>

#include <cub/device/device_radix_sort.cuh>

#include "kernels/ada_counts.h"
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"

namespace hkv::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kChunk = 2048;  // scores staged in shared memory per step of the sequential sums

__device__ __forceinline__ float round_f16(float v) {
  return __half2float(__float2half_rn(v));
}

template <typename T>
__global__ void ada_scale_kernel(float* __restrict__ keys,           // [S * n]
                                 int32_t* __restrict__ flat,         // [S * n]
                                 const T* __restrict__ scores,       // [S, n]
                                 const int32_t* __restrict__ order,  // [S, n]
                                 int64_t n,
                                 int32_t keep) {
  __shared__ float chunk[kChunk];
  __shared__ float ratio;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * n;
  float top = 0.0f, all = 0.0f;  // thread 0's sequential sums
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t len = min(static_cast<int64_t>(kChunk), n - c0);
    for (int64_t t = threadIdx.x; t < len; t += blockDim.x) {
      chunk[t] = to_float<T>(scores[base + order[base + c0 + t]]);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (int64_t t = 0; t < len; ++t) {
        all = __fadd_rn(all, chunk[t]);
        if (c0 + t < keep) {
          top = __fadd_rn(top, chunk[t]);
        }
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    ratio = round_f16(__fdiv_rn(round_f16(top), round_f16(all)));
  }
  __syncthreads();
  const float r = ratio;
  for (int64_t t = threadIdx.x; t < n; t += blockDim.x) {
    float v = round_f16(__fmul_rn(to_float<T>(scores[base + order[base + t]]), r));
    keys[base + t] = v == 0.0f ? 0.0f : v;  // -0 sorts as +0, as on the CPU
    flat[base + t] = static_cast<int32_t>(base + t);
  }
}

__global__ void ada_histogram_kernel(int32_t* __restrict__ picked,      // [S], zeroed
                                     const int32_t* __restrict__ flat,  // [S * n] sorted
                                     int64_t n,
                                     int64_t count) {  // S * C
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    atomicAdd(&picked[flat[i] / n], 1);
  }
}

__global__ void ada_finish_kernel(int32_t* __restrict__ counts, int32_t segments, int32_t keep) {
  const int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s < segments) {
    const int32_t floor_cap = static_cast<int32_t>(static_cast<double>(keep) * 0.2);
    counts[s] = floor_cap + (4 * counts[s] + 2) / 5;  // round_half_even(picked * 0.8)
  }
}

struct Layout {
  int64_t keys_in = 0, keys_out = 0, flat_in = 0, flat_out = 0, temp = 0;
  int64_t temp_bytes = 0;
  int64_t total = 0;
};

Result<Layout> layout_for(const AdaCountsParams& p) {
  const int64_t total = int64_t{p.num_segments} * p.n;
  size_t temp_bytes = 0;
  HKV_CUDA_RETURN_IF_ERROR(cub::DeviceRadixSort::SortPairsDescending(
      nullptr, temp_bytes, static_cast<const float*>(nullptr), static_cast<float*>(nullptr),
      static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr), total, 0, 32,
      cudaStream_t{}));
  Layout l;
  l.keys_out = l.keys_in + align256(total * 4);
  l.flat_in = l.keys_out + align256(total * 4);
  l.flat_out = l.flat_in + align256(total * 4);
  l.temp = l.flat_out + align256(total * 4);
  l.temp_bytes = static_cast<int64_t>(temp_bytes);
  l.total = l.temp + align256(l.temp_bytes);
  return l;
}

}  // namespace

Status AdaCountsParams::validate() const {
  if (dtype != DType::kF16 && dtype != DType::kBf16) {
    return errorf(StatusCode::kUnimplemented, "ada_counts: dtype %s not compiled (f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_segments <= 0 || n <= 0 || int64_t{num_segments} * n > 2147483647LL || keep < 0 ||
      keep > n) {
    return errorf(StatusCode::kInvalidArgument,
                  "ada_counts: num_segments=%d n=%lld keep=%d, expected segments > 0, n > 0, "
                  "segments x n < 2^31 and 0 <= keep <= n",
                  num_segments, static_cast<long long>(n), keep);
  }
  if (counts == nullptr || scores == nullptr || sorted == nullptr || workspace == nullptr) {
    return errorf(StatusCode::kInvalidArgument, "ada_counts: null %s pointer",
                  counts == nullptr   ? "counts"
                  : scores == nullptr ? "scores"
                  : sorted == nullptr ? "sorted"
                                      : "workspace");
  }
  if (!is_aligned(workspace, 16)) {
    return errorf(StatusCode::kInvalidArgument, "ada_counts: workspace must be 16-byte aligned");
  }
  return Status();
}

Result<int64_t> ada_counts_workspace_bytes(const AdaCountsParams& params) {
  if (params.num_segments <= 0 || params.n <= 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "ada_counts: num_segments=%d n=%lld, expected both > 0", params.num_segments,
                  static_cast<long long>(params.n));
  }
  HKV_ASSIGN_OR_RETURN(Layout l, layout_for(params));
  return l.total;
}

Status launch_ada_counts(const AdaCountsParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  HKV_ASSIGN_OR_RETURN(Layout l, layout_for(p));
  if (p.workspace_bytes < l.total) {
    return errorf(StatusCode::kInvalidArgument,
                  "ada_counts: workspace_bytes=%lld, expected >= %lld",
                  static_cast<long long>(p.workspace_bytes), static_cast<long long>(l.total));
  }
  const int64_t total = int64_t{p.num_segments} * p.n;
  uint8_t* ws = static_cast<uint8_t*>(p.workspace);
  float* keys_in = reinterpret_cast<float*>(ws + l.keys_in);
  float* keys_out = reinterpret_cast<float*>(ws + l.keys_out);
  int32_t* flat_in = reinterpret_cast<int32_t*>(ws + l.flat_in);
  int32_t* flat_out = reinterpret_cast<int32_t*>(ws + l.flat_out);
  HKV_RETURN_IF_ERROR(dispatch_half_dtype(p.dtype, "ada_counts", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    ada_scale_kernel<T><<<p.num_segments, kThreads, 0, stream>>>(
        keys_in, flat_in, static_cast<const T*>(p.scores), p.sorted, p.n, p.keep);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  }));
  size_t temp_bytes = static_cast<size_t>(l.temp_bytes);
  HKV_CUDA_RETURN_IF_ERROR(cub::DeviceRadixSort::SortPairsDescending(
      ws + l.temp, temp_bytes, keys_in, keys_out, flat_in, flat_out, total, 0, 32, stream));
  HKV_CUDA_CHECK_LAUNCH(stream);
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(p.counts, 0, sizeof(int32_t) * p.num_segments, stream));
  const int64_t picked = int64_t{p.num_segments} * p.keep;
  if (picked > 0) {
    const int blocks =
        static_cast<int>(std::min<int64_t>((picked + kThreads - 1) / kThreads, 4096));
    ada_histogram_kernel<<<blocks, kThreads, 0, stream>>>(p.counts, flat_out, p.n, picked);
    HKV_CUDA_CHECK_LAUNCH(stream);
  }
  ada_finish_kernel<<<(p.num_segments + kThreads - 1) / kThreads, kThreads, 0, stream>>>(
      p.counts, p.num_segments, p.keep);
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

}  // namespace hkv::kernels
