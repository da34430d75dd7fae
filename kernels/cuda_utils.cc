// Error strings and Status conversion for the CUDA runtime and cuBLAS.
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32:
    case DType::kI32:
      return 4;
    case DType::kF16:
    case DType::kBf16:
      return 2;
    case DType::kI64:
      return 8;
    case DType::kU8:
      return 1;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kF16:
      return "f16";
    case DType::kBf16:
      return "bf16";
    case DType::kI32:
      return "i32";
    case DType::kI64:
      return "i64";
    case DType::kU8:
      return "u8";
  }
  return "?";
}

namespace internal {

const char* cuda_error_string(cudaError_t e) {
  return cudaGetErrorString(e);
}

const char* cuda_error_string(cublasStatus_t e) {
  return cublasGetStatusString(e);
}

namespace {

Status failure_status(StatusCode code,
                      const char* error,
                      const char* call,
                      const char* file,
                      int line,
                      const char* func) {
  return errorf(code, "%s failed in %s (%s:%d): %s", call, func, file, line, error);
}

}  // namespace

Status cuda_failure(cudaError_t e, const char* call, const char* file, int line, const char* func) {
  (void)cudaGetLastError();
  StatusCode code =
      e == cudaErrorMemoryAllocation ? StatusCode::kResourceExhausted : StatusCode::kInternal;
  return failure_status(code, cudaGetErrorString(e), call, file, line, func);
}

Status cuda_failure(
    cublasStatus_t e, const char* call, const char* file, int line, const char* func) {
  StatusCode code =
      e == CUBLAS_STATUS_ALLOC_FAILED ? StatusCode::kResourceExhausted : StatusCode::kInternal;
  return failure_status(code, cublasGetStatusString(e), call, file, line, func);
}

}  // namespace internal
}  // namespace hkv::kernels
