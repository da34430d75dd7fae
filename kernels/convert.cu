// Grid-stride conversion kernel; one template instance per (in, out) dtype pair.
#include <algorithm>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/convert.h"

namespace hkv::kernels {
namespace {

template <typename T>
__device__ __forceinline__ float load_as_float(const T* p, int64_t i);

template <>
__device__ __forceinline__ float load_as_float<float>(const float* p, int64_t i) {
  return p[i];
}

template <>
__device__ __forceinline__ float load_as_float<__half>(const __half* p, int64_t i) {
  return __half2float(p[i]);
}

template <>
__device__ __forceinline__ float load_as_float<__nv_bfloat16>(const __nv_bfloat16* p, int64_t i) {
  return __bfloat162float(p[i]);
}

template <typename T>
__device__ __forceinline__ T store_from_float(float v);

template <>
__device__ __forceinline__ float store_from_float<float>(float v) {
  return v;
}

template <>
__device__ __forceinline__ __half store_from_float<__half>(float v) {
  return __float2half_rn(v);
}

template <>
__device__ __forceinline__ __nv_bfloat16 store_from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

template <typename In, typename Out>
__global__ void convert_kernel(Out* __restrict__ out,      // [n]
                               const In* __restrict__ in,  // [n]
                               int64_t n) {
  int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    out[i] = store_from_float<Out>(load_as_float<In>(in, i));
  }
}

bool is_float_dtype(DType d) {
  return d == DType::kF32 || d == DType::kF16 || d == DType::kBf16;
}

template <typename In>
Status launch_from(const ConvertParams& p, int blocks, int threads, cudaStream_t stream) {
  const In* in = static_cast<const In*>(p.in);
  switch (p.out_dtype) {
    case DType::kF32:
      convert_kernel<In, float>
          <<<blocks, threads, 0, stream>>>(static_cast<float*>(p.out), in, p.num_elements);
      break;
    case DType::kF16:
      convert_kernel<In, __half>
          <<<blocks, threads, 0, stream>>>(static_cast<__half*>(p.out), in, p.num_elements);
      break;
    case DType::kBf16:
      convert_kernel<In, __nv_bfloat16>
          <<<blocks, threads, 0, stream>>>(static_cast<__nv_bfloat16*>(p.out), in, p.num_elements);
      break;
    default:
      return errorf(StatusCode::kUnimplemented, "convert: output dtype %s not compiled",
                    dtype_name(p.out_dtype));
  }
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

}  // namespace

Status ConvertParams::validate() const {
  if (num_elements < 0) {
    return errorf(StatusCode::kInvalidArgument, "convert: num_elements=%lld, expected >= 0",
                  static_cast<long long>(num_elements));
  }
  if (!is_float_dtype(in_dtype) || !is_float_dtype(out_dtype)) {
    return errorf(StatusCode::kUnimplemented, "convert: %s -> %s not supported (f32/f16/bf16 only)",
                  dtype_name(in_dtype), dtype_name(out_dtype));
  }
  if (num_elements > 0 && (out == nullptr || in == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "convert: null %s pointer for %lld elements",
                  out == nullptr ? "out" : "in", static_cast<long long>(num_elements));
  }
  return Status();
}

Status launch_convert(const ConvertParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  if (params.num_elements == 0) {
    return Status();
  }
  constexpr int kThreads = 256;
  // Enough blocks to fill a large GPU several times over; the loop strides over the rest.
  int64_t wanted = (params.num_elements + kThreads - 1) / kThreads;
  int blocks = static_cast<int>(std::min<int64_t>(wanted, 65535));
  switch (params.in_dtype) {
    case DType::kF32:
      return launch_from<float>(params, blocks, kThreads, stream);
    case DType::kF16:
      return launch_from<__half>(params, blocks, kThreads, stream);
    case DType::kBf16:
      return launch_from<__nv_bfloat16>(params, blocks, kThreads, stream);
    default:
      return errorf(StatusCode::kUnimplemented, "convert: input dtype %s not compiled",
                    dtype_name(params.in_dtype));
  }
}

}  // namespace hkv::kernels
