// Element-wise SwiGLU; expf (not __expf) to stay within an ulp of the host reference. Aligned rows
// (the usual case: widths and strides a multiple of 16 bytes) take 16-byte vectors with rows on
// the grid's y axis, so no thread divides; anything else takes the scalar grid-stride kernel. Both
// compute each element identically.
#include <algorithm>
#include <cstdint>

#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/silu_mul.h"

namespace hkv::kernels {
namespace {

template <typename T>
__device__ __forceinline__ float silu_mul_one(float g, float u) {
  const float silu = round_to<T>(g / (1.0f + expf(-g)));
  return silu * u;
}

template <typename T, int E>
__global__ void silu_mul_vec_kernel(T* __restrict__ out,         // [num_rows, width]
                                    const T* __restrict__ gate,  // [num_rows, width], strided
                                    const T* __restrict__ up,    // [num_rows, width], strided
                                    int64_t num_rows,
                                    int64_t width,
                                    int64_t gate_row_stride,
                                    int64_t up_row_stride) {
  const int64_t vecs = width / E;
  for (int64_t row = blockIdx.y; row < num_rows; row += gridDim.y) {
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < vecs;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      float g[E], u[E], o[E];
      load_vec<T, E>(gate + row * gate_row_stride + i * E, g);
      load_vec<T, E>(up + row * up_row_stride + i * E, u);
#pragma unroll
      for (int e = 0; e < E; ++e) {
        o[e] = silu_mul_one<T>(g[e], u[e]);
      }
      store_vec<T, E>(out + row * width + i * E, o);
    }
  }
}

template <typename T>
__global__ void silu_mul_kernel(T* __restrict__ out,         // [num_rows, width]
                                const T* __restrict__ gate,  // [num_rows, width], strided rows
                                const T* __restrict__ up,    // [num_rows, width], strided rows
                                int64_t num_elements,
                                int64_t width,
                                int64_t gate_row_stride,
                                int64_t up_row_stride) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < num_elements;
       e += stride) {
    const int64_t row = e / width;
    const int64_t col = e % width;
    out[e] = from_float<T>(silu_mul_one<T>(to_float<T>(gate[row * gate_row_stride + col]),
                                           to_float<T>(up[row * up_row_stride + col])));
  }
}

}  // namespace

Status SiluMulParams::validate() const {
  if (num_rows < 0 || width <= 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "silu_mul: num_rows=%lld width=%lld, expected num_rows >= 0 and width > 0",
                  static_cast<long long>(num_rows), static_cast<long long>(width));
  }
  if (gate_row_stride < width || up_row_stride < width) {
    return errorf(StatusCode::kInvalidArgument,
                  "silu_mul: gate_row_stride=%lld up_row_stride=%lld, expected >= width=%lld",
                  static_cast<long long>(gate_row_stride), static_cast<long long>(up_row_stride),
                  static_cast<long long>(width));
  }
  if (num_rows > 0 && (out == nullptr || gate == nullptr || up == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "silu_mul: null %s pointer",
                  out == nullptr ? "out" : (gate == nullptr ? "gate" : "up"));
  }
  return Status();
}

Status launch_silu_mul(const SiluMulParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  const int64_t n = params.num_rows * params.width;
  if (n == 0) {
    return Status();
  }
  constexpr int kThreads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535));
  return dispatch_float_dtype(params.dtype, "silu_mul", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    constexpr int E = 16 / static_cast<int>(sizeof(T));  // elements per 16-byte vector
    if (params.width % E == 0 && params.gate_row_stride % E == 0 && params.up_row_stride % E == 0 &&
        is_aligned(params.out, 16) && is_aligned(params.gate, 16) && is_aligned(params.up, 16)) {
      constexpr int kVecThreads = 128;
      const int64_t vecs = params.width / E;
      const dim3 grid(
          static_cast<unsigned>(std::min<int64_t>((vecs + kVecThreads - 1) / kVecThreads, 65535)),
          static_cast<unsigned>(std::min<int64_t>(params.num_rows, 65535)));
      silu_mul_vec_kernel<T, E><<<grid, kVecThreads, 0, stream>>>(
          static_cast<T*>(params.out), static_cast<const T*>(params.gate),
          static_cast<const T*>(params.up), params.num_rows, params.width, params.gate_row_stride,
          params.up_row_stride);
      HKV_CUDA_CHECK_LAUNCH(stream);
      return Status();
    }
    silu_mul_kernel<T><<<blocks, kThreads, 0, stream>>>(
        static_cast<T*>(params.out), static_cast<const T*>(params.gate),
        static_cast<const T*>(params.up), n, params.width, params.gate_row_stride,
        params.up_row_stride);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
