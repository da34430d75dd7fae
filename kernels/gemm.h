// Linear layers through cuBLAS: out[M, N] = in[M, K] . weight[N, K]^T (nn.Linear's row-major
// weight), 16-bit or f32 operands, fp32 accumulation (CUBLAS_COMPUTE_32F, no TF32), default
// tensor-op algorithms; decode-sized m (<= 3, 16-bit operands) takes the hand-written GEMV of
// kernels/gemv.h instead. One CublasHandle per stream-owning engine.
#pragma once

#include <cstdint>
#include <span>

#include <cublas_api.h>
#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"
#include "kernels/device_buffer.h"

namespace hkv::kernels {

// Move-only owner of a cuBLAS handle and its workspace, bound to one stream.
class CublasHandle {
 public:
  static Result<CublasHandle> create(cudaStream_t stream);
  CublasHandle() = default;
  CublasHandle(CublasHandle&& o) noexcept;
  CublasHandle& operator=(CublasHandle&& o) noexcept;
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  ~CublasHandle();

  cublasHandle_t get() const { return handle_; }

  cudaStream_t stream() const { return stream_; }

 private:
  cublasHandle_t handle_ = nullptr;
  cudaStream_t stream_ = nullptr;
  DeviceBuffer<uint8_t> workspace_;  // [kWorkspaceBytes]
};

struct LinearParams {
  void* out = nullptr;             // [m, n], row stride out_row_stride, out_dtype
  const void* in = nullptr;        // [m, k], row stride in_row_stride, dtype
  const void* weight = nullptr;    // [n, k], contiguous, dtype
  int64_t m = 0;                   // rows (tokens)
  int64_t n = 0;                   // output features
  int64_t k = 0;                   // input features
  int64_t in_row_stride = 0;       // elements; 0 means k
  int64_t out_row_stride = 0;      // elements; 0 means n
  float beta = 0.0f;               // out = in . W^T + beta * out (1 accumulates a residual)
  DType dtype = DType::kBf16;      // of in and weight: f32, f16, bf16
  DType out_dtype = DType::kBf16;  // dtype, or f32 (logits)
  [[nodiscard]] Status validate() const;
};

// Enqueues on the handle's stream.
[[nodiscard]] Status launch_linear(const CublasHandle& handle, const LinearParams& params);

// launch_linear through cuBLAS whatever m is (what the small-M GEMV is measured against:
// `headkv bench --what linear`).
[[nodiscard]] Status launch_linear_cublas(const CublasHandle& handle, const LinearParams& params);

// Several layers reading the same input (a decode step's q, k and v projections): one fused
// launch when every layer takes the small-M GEMV, otherwise launch_linear for each in order.
[[nodiscard]] Status launch_linears(const CublasHandle& handle,
                                    std::span<const LinearParams> layers);

}  // namespace hkv::kernels
