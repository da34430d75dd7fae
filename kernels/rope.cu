// One thread per rotated pair (token, head, i < head_dim/2). Accurate cosf/sinf (no fast math):
// positions reach 100k+ radians, where only full range reduction matches the host reference.
#include <algorithm>

#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/rope.h"

namespace hkv::kernels {
namespace {

template <typename T>
__global__ void rope_kernel(T* __restrict__ x,                      // [num_tokens, num_heads, D]
                            const int64_t* __restrict__ positions,  // [num_tokens]
                            const float* __restrict__ inv_freq,     // [D / 2]
                            int64_t num_pairs,
                            int32_t num_heads,
                            int32_t half_dim,
                            int64_t token_stride,
                            int64_t head_stride) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; p < num_pairs;
       p += stride) {
    const int32_t i = static_cast<int32_t>(p % half_dim);
    const int64_t th = p / half_dim;
    const int32_t head = static_cast<int32_t>(th % num_heads);
    const int64_t token = th / num_heads;
    const float freq = static_cast<float>(positions[token]) * inv_freq[i];
    const float c = round_to<T>(cosf(freq));
    const float s = round_to<T>(sinf(freq));
    T* row = x + token * token_stride + head * head_stride;
    const float x1 = to_float<T>(row[i]);
    const float x2 = to_float<T>(row[i + half_dim]);
    const float y1 = round_to<T>(x1 * c) + round_to<T>(-x2 * s);
    const float y2 = round_to<T>(x2 * c) + round_to<T>(x1 * s);
    row[i] = from_float<T>(y1);
    row[i + half_dim] = from_float<T>(y2);
  }
}

}  // namespace

Status RopeParams::validate() const {
  if (num_tokens < 0 || num_heads <= 0 || head_dim <= 0 || head_dim % 2 != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "rope: num_tokens=%lld num_heads=%d head_dim=%d, expected num_tokens >= 0, "
                  "num_heads > 0 and an even head_dim > 0",
                  static_cast<long long>(num_tokens), num_heads, head_dim);
  }
  if (head_stride < head_dim || token_stride < static_cast<int64_t>(num_heads) * head_stride) {
    return errorf(StatusCode::kInvalidArgument,
                  "rope: token_stride=%lld head_stride=%lld overlap rows of head_dim=%d x "
                  "num_heads=%d",
                  static_cast<long long>(token_stride), static_cast<long long>(head_stride),
                  head_dim, num_heads);
  }
  if (num_tokens > 0 && (x == nullptr || positions == nullptr || inv_freq == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "rope: null %s pointer",
                  x == nullptr ? "x" : (positions == nullptr ? "positions" : "inv_freq"));
  }
  return Status();
}

Status launch_rope(const RopeParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  if (params.num_tokens == 0) {
    return Status();
  }
  const int32_t half_dim = params.head_dim / 2;
  const int64_t num_pairs = params.num_tokens * params.num_heads * half_dim;
  constexpr int kThreads = 256;
  const int blocks =
      static_cast<int>(std::min<int64_t>((num_pairs + kThreads - 1) / kThreads, 65535));
  return dispatch_float_dtype(params.dtype, "rope", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    rope_kernel<T><<<blocks, kThreads, 0, stream>>>(
        static_cast<T*>(params.x), params.positions, params.inv_freq, num_pairs, params.num_heads,
        half_dim, params.token_stride, params.head_stride);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
