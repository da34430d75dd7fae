// One block per row: pass 1 forms h (with the residual add) and its sum of squares, pass 2
// normalises. Each thread touches the same elements in both passes, so out may alias in. Rows of
// up to kRegs elements per thread keep h in registers, with all of a thread's loads issued before
// any math (a decode step's single row is otherwise a chain of dependent load latencies); wider
// rows take the looping kernel. Both sum and round in the same order, so they agree bit for bit.
#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/rms_norm.h"

namespace hkv::kernels {
namespace {

// 1 / rms of a row from each thread's share of its sum of squares (block-wide; every thread gets
// it).
__device__ __forceinline__ float row_inv_rms(float sum_sq,
                                             int32_t hidden,
                                             float eps,
                                             float* scratch) {
  const float total = block_sum(sum_sq, scratch);
  return rsqrtf(total / static_cast<float>(hidden) + eps);
}

// weight * (h / rms), with h / rms rounded to T first (as the reference does).
template <typename T>
__device__ __forceinline__ T normalised(float h, float inv_rms, T weight) {
  const float normed = round_to<T>(h * inv_rms);
  return from_float<T>(to_float<T>(weight) * normed);
}

template <typename T>
__global__ void rms_norm_kernel(T* __restrict__ out,           // [num_rows, hidden]
                                const T* in,                   // [num_rows, hidden]
                                T* __restrict__ residual,      // [num_rows, hidden] or null
                                const T* __restrict__ weight,  // [hidden]
                                int32_t hidden,
                                float eps) {
  __shared__ float scratch[32];
  const int64_t row = static_cast<int64_t>(blockIdx.x) * hidden;
  float sum_sq = 0.0f;
  for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    float h = to_float<T>(in[row + i]);
    if (residual != nullptr) {
      h = round_to<T>(h + to_float<T>(residual[row + i]));
      residual[row + i] = from_float<T>(h);
    }
    sum_sq += h * h;
  }
  const float inv_rms = row_inv_rms(sum_sq, hidden, eps, scratch);
  for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    const float h = to_float<T>(residual != nullptr ? residual[row + i] : in[row + i]);
    out[row + i] = normalised<T>(h, inv_rms, weight[i]);
  }
}

constexpr int kRegs = 16;  // elements per thread the register kernel holds

template <typename T>
__global__ void rms_norm_regs_kernel(T* __restrict__ out,           // [num_rows, hidden]
                                     const T* in,                   // [num_rows, hidden]
                                     T* __restrict__ residual,      // [num_rows, hidden] or null
                                     const T* __restrict__ weight,  // [hidden]
                                     int32_t hidden,
                                     float eps) {
  __shared__ float scratch[32];
  const int64_t row = static_cast<int64_t>(blockIdx.x) * hidden;
  float x[kRegs];
  float r[kRegs];
#pragma unroll
  for (int j = 0; j < kRegs; ++j) {
    const int32_t i = threadIdx.x + j * blockDim.x;
    x[j] = i < hidden ? to_float<T>(in[row + i]) : 0.0f;
    r[j] = i < hidden && residual != nullptr ? to_float<T>(residual[row + i]) : 0.0f;
  }
  float sum_sq = 0.0f;
#pragma unroll
  for (int j = 0; j < kRegs; ++j) {
    const int32_t i = threadIdx.x + j * blockDim.x;
    if (i < hidden) {
      if (residual != nullptr) {
        x[j] = round_to<T>(x[j] + r[j]);
        residual[row + i] = from_float<T>(x[j]);
      }
      sum_sq += x[j] * x[j];
    }
  }
  const float inv_rms = row_inv_rms(sum_sq, hidden, eps, scratch);
#pragma unroll
  for (int j = 0; j < kRegs; ++j) {
    const int32_t i = threadIdx.x + j * blockDim.x;
    if (i < hidden) {
      out[row + i] = normalised<T>(x[j], inv_rms, weight[i]);
    }
  }
}

}  // namespace

Status RmsNormParams::validate() const {
  if (num_rows < 0 || hidden <= 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "rms_norm: num_rows=%lld hidden=%d, expected num_rows >= 0 and hidden > 0",
                  static_cast<long long>(num_rows), hidden);
  }
  if (num_rows > 2147483647LL) {
    return errorf(StatusCode::kInvalidArgument, "rms_norm: num_rows=%lld exceeds the grid limit",
                  static_cast<long long>(num_rows));
  }
  if (!(eps >= 0.0f)) {
    return errorf(StatusCode::kInvalidArgument, "rms_norm: eps=%g, expected >= 0",
                  static_cast<double>(eps));
  }
  if (num_rows > 0 && (out == nullptr || in == nullptr || weight == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "rms_norm: null %s pointer",
                  out == nullptr ? "out" : (in == nullptr ? "in" : "weight"));
  }
  return Status();
}

Status launch_rms_norm(const RmsNormParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  if (params.num_rows == 0) {
    return Status();
  }
  // 4096-wide rows: 512 threads touch 8 elements each; narrow rows use fewer threads.
  int threads = params.hidden >= 2048 ? 512 : (params.hidden >= 512 ? 256 : 128);
  return dispatch_float_dtype(params.dtype, "rms_norm", [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    auto* kernel = params.hidden <= threads * kRegs ? rms_norm_regs_kernel<T> : rms_norm_kernel<T>;
    kernel<<<static_cast<unsigned>(params.num_rows), threads, 0, stream>>>(
        static_cast<T*>(params.out), static_cast<const T*>(params.in),
        static_cast<T*>(params.residual), static_cast<const T*>(params.weight), params.hidden,
        params.eps);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
