// CUDA plumbing shared by every kernel: the DType enum, one generic error check over cudaError_t
// and cublasStatus_t (HKV_CUDA_CHECK / _RETURN_IF_ERROR / _LOG_IF_ERROR), and the launch check.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include "common/logging.h"
#include "common/status.h"

namespace hkv::kernels {

enum class DType { kF32, kF16, kBf16, kI32, kI64, kU8 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

namespace internal {
inline bool cuda_ok(cudaError_t e) {
  return e == cudaSuccess;
}

inline bool cuda_ok(cublasStatus_t e) {
  return e == CUBLAS_STATUS_SUCCESS;
}

const char* cuda_error_string(cudaError_t e);
const char* cuda_error_string(cublasStatus_t e);
// The Status for a failed call: what, where and the library's message. Out of memory maps to
// kResourceExhausted, everything else to kInternal. The cudaError_t overload also pops the error:
// cudaGetLastError() reports the last failure of any runtime call, not just of launches, so a
// returned error left behind would be reported again by the next launch check. Sticky errors (a
// lost context) persist regardless.
Status cuda_failure(cudaError_t e, const char* call, const char* file, int line, const char* func);
Status cuda_failure(
    cublasStatus_t e, const char* call, const char* file, int line, const char* func);
}  // namespace internal

}  // namespace hkv::kernels

// Aborts on failure (broken invariant). Stringizes the call; records file, line and function.
#define HKV_CUDA_CHECK(expr)                                        \
  do {                                                              \
    auto hkv_cuda_e = (expr);                                       \
    HKV_CHECK(::hkv::kernels::internal::cuda_ok(hkv_cuda_e))        \
        << #expr << " in " << __func__ << ": "                      \
        << ::hkv::kernels::internal::cuda_error_string(hkv_cuda_e); \
  } while (0)

// Returns a Status from the enclosing function on failure.
#define HKV_CUDA_RETURN_IF_ERROR(expr)                                                     \
  do {                                                                                     \
    auto hkv_cuda_e = (expr);                                                              \
    if (!::hkv::kernels::internal::cuda_ok(hkv_cuda_e)) {                                  \
      return ::hkv::kernels::internal::cuda_failure(hkv_cuda_e, #expr, __FILE__, __LINE__, \
                                                    __func__);                             \
    }                                                                                      \
  } while (0)

// For destructors: log and continue, never throw or abort.
#define HKV_CUDA_LOG_IF_ERROR(expr)                                                               \
  do {                                                                                            \
    auto hkv_cuda_e = (expr);                                                                     \
    if (!::hkv::kernels::internal::cuda_ok(hkv_cuda_e)) {                                         \
      HKV_LOG(                                                                                    \
          kError, "cuda", "%s",                                                                   \
          ::hkv::kernels::internal::cuda_failure(hkv_cuda_e, #expr, __FILE__, __LINE__, __func__) \
              .message()                                                                          \
              .c_str());                                                                          \
    }                                                                                             \
  } while (0)

// Every launcher ends with this: checks the launch and, with HKV_SYNC_AFTER_LAUNCH, the execution.
#ifdef HKV_SYNC_AFTER_LAUNCH
#define HKV_CUDA_CHECK_LAUNCH(stream)                        \
  do {                                                       \
    HKV_CUDA_RETURN_IF_ERROR(cudaGetLastError());            \
    HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream)); \
  } while (0)
#else
#define HKV_CUDA_CHECK_LAUNCH(stream) HKV_CUDA_RETURN_IF_ERROR(cudaGetLastError())
#endif
