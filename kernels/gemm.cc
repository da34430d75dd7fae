// cuBLAS GEMM for row-major activations and nn.Linear weights: in column-major terms
// out^T[n, m] = W[n, k] . in^T[k, m], i.e. cublasGemmEx(OP_T, OP_N, n, m, k, W, ldw = k, in,
// ld = in_row_stride, out, ld = out_row_stride).
#include "kernels/gemm.h"

#include <utility>

#include <cublas_v2.h>

#include "kernels/gemv.h"

namespace hkv::kernels {
namespace {

constexpr size_t kWorkspaceBytes = 32u << 20;  // cuBLAS's recommendation for Hopper

cudaDataType_t cuda_type(DType d) {
  switch (d) {
    case DType::kF32:
      return CUDA_R_32F;
    case DType::kF16:
      return CUDA_R_16F;
    default:
      return CUDA_R_16BF;
  }
}

}  // namespace

Result<CublasHandle> CublasHandle::create(cudaStream_t stream) {
  CublasHandle h;
  HKV_ASSIGN_OR_RETURN(h.workspace_, DeviceBuffer<uint8_t>::allocate(kWorkspaceBytes));
  HKV_CUDA_RETURN_IF_ERROR(cublasCreate(&h.handle_));
  h.stream_ = stream;
  HKV_CUDA_RETURN_IF_ERROR(cublasSetStream(h.handle_, stream));
  HKV_CUDA_RETURN_IF_ERROR(cublasSetWorkspace(h.handle_, h.workspace_.data(), kWorkspaceBytes));
  // Split-K partial sums stay in fp32: cuBLAS's default lets reduced-precision GEMMs round each
  // split's partial to the 16-bit output type (the f16 m = 4 LinearMatchesReference failure,
  // ~6 ulp at k = 2048), so an output would depend on which split count cuBLAS picks.
  HKV_CUDA_RETURN_IF_ERROR(cublasSetMathMode(
      h.handle_, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                           CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)));
  return h;
}

CublasHandle::CublasHandle(CublasHandle&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)),
      stream_(std::exchange(o.stream_, nullptr)),
      workspace_(std::move(o.workspace_)) {}

CublasHandle& CublasHandle::operator=(CublasHandle&& o) noexcept {
  if (this != &o) {
    if (handle_ != nullptr) {
      HKV_CUDA_LOG_IF_ERROR(cublasDestroy(handle_));
    }
    handle_ = std::exchange(o.handle_, nullptr);
    stream_ = std::exchange(o.stream_, nullptr);
    workspace_ = std::move(o.workspace_);
  }
  return *this;
}

CublasHandle::~CublasHandle() {
  if (handle_ != nullptr) {
    HKV_CUDA_LOG_IF_ERROR(cublasDestroy(handle_));
  }
}

Status LinearParams::validate() const {
  if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBf16) {
    return errorf(StatusCode::kUnimplemented, "linear: dtype %s (expected f32, f16, bf16)",
                  dtype_name(dtype));
  }
  if (out_dtype != dtype && out_dtype != DType::kF32) {
    return errorf(StatusCode::kUnimplemented,
                  "linear: out_dtype %s with dtype %s (expected %s or f32)", dtype_name(out_dtype),
                  dtype_name(dtype), dtype_name(dtype));
  }
  const int64_t ld_in = in_row_stride == 0 ? k : in_row_stride;
  const int64_t ld_out = out_row_stride == 0 ? n : out_row_stride;
  const int64_t limit = 2147483647LL;
  if (m < 0 || n <= 0 || k <= 0 || m > limit || n > limit || k > limit || ld_in < k || ld_out < n ||
      ld_in > limit || ld_out > limit) {
    return errorf(StatusCode::kInvalidArgument,
                  "linear: m=%lld n=%lld k=%lld in_row_stride=%lld out_row_stride=%lld, expected "
                  "positive sizes < 2^31 and strides >= the row width",
                  static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(k),
                  static_cast<long long>(ld_in), static_cast<long long>(ld_out));
  }
  if (m > 0 && (out == nullptr || in == nullptr || weight == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "linear: null pointer among out, in, weight");
  }
  return Status();
}

namespace {

// The checks every entry point makes; false when there is nothing to do (m = 0).
Result<bool> check_launch(const CublasHandle& handle, const LinearParams& p) {
  HKV_RETURN_IF_ERROR(p.validate());
  if (p.m == 0) {
    return false;
  }
  if (handle.get() == nullptr) {
    return errorf(StatusCode::kFailedPrecondition, "linear: cuBLAS handle not created");
  }
  return true;
}

Status cublas_linear(const CublasHandle& handle, const LinearParams& p) {
  const float alpha = 1.0f;
  const float beta = p.beta;
  const int ld_in = static_cast<int>(p.in_row_stride == 0 ? p.k : p.in_row_stride);
  const int ld_out = static_cast<int>(p.out_row_stride == 0 ? p.n : p.out_row_stride);
  HKV_CUDA_RETURN_IF_ERROR(cublasGemmEx(
      handle.get(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(p.n), static_cast<int>(p.m),
      static_cast<int>(p.k), &alpha, p.weight, cuda_type(p.dtype), static_cast<int>(p.k), p.in,
      cuda_type(p.dtype), ld_in, &beta, p.out, cuda_type(p.out_dtype), ld_out, CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT));
  return Status();
}

}  // namespace

Status launch_linear(const CublasHandle& handle, const LinearParams& p) {
  HKV_ASSIGN_OR_RETURN(const bool work, check_launch(handle, p));
  if (!work) {
    return Status();
  }
  if (internal::gemv_applies(p)) {
    return internal::launch_gemv({&p, 1}, handle.stream());  // decode-sized m: kernels/gemv.h
  }
  return cublas_linear(handle, p);
}

Status launch_linear_cublas(const CublasHandle& handle, const LinearParams& p) {
  HKV_ASSIGN_OR_RETURN(const bool work, check_launch(handle, p));
  return work ? cublas_linear(handle, p) : Status();
}

Status launch_linears(const CublasHandle& handle, std::span<const LinearParams> layers) {
  bool fuse = !layers.empty() && layers.size() <= static_cast<size_t>(internal::kGemvMaxFused) &&
              layers[0].m > 0;
  for (const LinearParams& p : layers) {
    fuse = fuse && internal::gemv_can_fuse(layers[0], p);
  }
  if (!fuse) {
    for (const LinearParams& p : layers) {
      HKV_RETURN_IF_ERROR(launch_linear(handle, p));  // validates each
    }
    return Status();
  }
  for (const LinearParams& p : layers) {
    HKV_RETURN_IF_ERROR(p.validate());
  }
  return internal::launch_gemv(layers, handle.stream());
}

}  // namespace hkv::kernels
