// One block per row: each thread scans a strided slice keeping (value, index), then a block
// reduction picks the larger value and, on ties, the lower index.
#include "kernels/argmax.h"
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"

namespace hkv::kernels {
namespace {

// Whether (v, i) beats (best_v, best_i): larger value, NaN above everything, then lower index.
__device__ __forceinline__ bool argmax_better(float v, int32_t i, float best_v, int32_t best_i) {
  const bool v_nan = v != v;
  const bool b_nan = best_v != best_v;
  if (v_nan != b_nan) {
    return v_nan;
  }
  if (!v_nan && v != best_v) {
    return v > best_v;
  }
  return i < best_i;
}

template <typename T>
__global__ void argmax_kernel(int32_t* __restrict__ out,     // [num_rows]
                              const T* __restrict__ logits,  // [num_rows, vocab], strided rows
                              int32_t vocab,
                              int64_t row_stride,
                              const int32_t* __restrict__ banned,  // [num_banned] or null
                              int32_t num_banned,
                              int64_t* __restrict__ advance_positions) {  // [num_rows] or null
  __shared__ float best_values[32];
  __shared__ int32_t best_indices[32];
  const T* row = logits + static_cast<int64_t>(blockIdx.x) * row_stride;
  float best_v = -INFINITY;
  int32_t best_i = INT32_MAX;
  // kLoads strided elements per pass, all loaded before any compare (a 128k row is otherwise a
  // chain of 125 dependent load latencies per thread). The order is total, so the visiting order
  // does not change the result.
  constexpr int kLoads = 4;
  for (int64_t base = threadIdx.x; base < vocab; base += int64_t{kLoads} * blockDim.x) {
    float v[kLoads];
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int64_t i = base + int64_t{u} * blockDim.x;
      v[u] = i < vocab ? to_float<T>(row[i]) : 0.0f;
    }
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int64_t i = base + int64_t{u} * blockDim.x;
      bool skip = i >= vocab;
      for (int32_t b = 0; b < num_banned && !skip; ++b) {
        skip = banned[b] == i;
      }
      if (!skip && argmax_better(v[u], static_cast<int32_t>(i), best_v, best_i)) {
        best_v = v[u];
        best_i = static_cast<int32_t>(i);
      }
    }
  }
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float v = __shfl_xor_sync(0xffffffffu, best_v, offset);
    const int32_t i = __shfl_xor_sync(0xffffffffu, best_i, offset);
    if (argmax_better(v, i, best_v, best_i)) {
      best_v = v;
      best_i = i;
    }
  }
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  if (lane == 0) {
    best_values[warp] = best_v;
    best_indices[warp] = best_i;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < static_cast<int>(blockDim.x >> 5); ++w) {
      if (argmax_better(best_values[w], best_indices[w], best_v, best_i)) {
        best_v = best_values[w];
        best_i = best_indices[w];
      }
    }
    // A row of all -inf keeps index 0 (torch returns the first element).
    out[blockIdx.x] = best_i == INT32_MAX ? 0 : best_i;
    if (advance_positions != nullptr) {
      advance_positions[blockIdx.x] += 1;
    }
  }
}

}  // namespace

Status ArgmaxParams::validate() const {
  if (num_rows < 0 || vocab <= 0 || vocab > 2147483647LL || num_rows > 2147483647LL) {
    return errorf(StatusCode::kInvalidArgument,
                  "argmax: num_rows=%lld vocab=%lld, expected 0 <= num_rows and 0 < vocab, both "
                  "< 2^31",
                  static_cast<long long>(num_rows), static_cast<long long>(vocab));
  }
  if (row_stride < vocab) {
    return errorf(StatusCode::kInvalidArgument, "argmax: row_stride=%lld, expected >= vocab=%lld",
                  static_cast<long long>(row_stride), static_cast<long long>(vocab));
  }
  if (num_banned < 0 || num_banned > 64 || (num_banned > 0 && banned == nullptr)) {
    return errorf(StatusCode::kInvalidArgument,
                  "argmax: num_banned=%d with banned %s, expected 0..64 ids in a device array",
                  num_banned, banned == nullptr ? "null" : "set");
  }
  if (num_rows > 0 && (out == nullptr || logits == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "argmax: null %s pointer",
                  out == nullptr ? "out" : "logits");
  }
  return Status();
}

Status launch_argmax(const ArgmaxParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  if (params.num_rows == 0) {
    return Status();
  }
  constexpr int kThreads = 1024;  // a 128k vocab row is 125 elements per thread
  return dispatch_float_dtype(params.dtype, "argmax", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    argmax_kernel<T><<<static_cast<unsigned>(params.num_rows), kThreads, 0, stream>>>(
        params.out, static_cast<const T*>(params.logits), static_cast<int32_t>(params.vocab),
        params.row_stride, params.banned, params.num_banned, params.advance_positions);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
