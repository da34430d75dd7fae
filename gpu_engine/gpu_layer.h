// Internal to the GPU engine (gpu_model.cc, gpu_forward.cc): dtype-offset helpers, the
// activation scratch and the per-layer calls shared by prefill and decode.
#pragma once

#include <cstdint>

#include "comm/device_communicator.h"
#include "gpu_engine/gpu_model.h"
#include "kernels/device_buffer.h"
#include "kernels/gemm.h"

namespace hkv::model::gpu_internal {

using kernels::DeviceBuffer;
using kernels::DType;

// Byte offset of element `elems` of a dtype buffer.
inline void* at(void* base, int64_t elems, DType d) {
  return static_cast<uint8_t*>(base) + elems * static_cast<int64_t>(kernels::dtype_size(d));
}

inline const void* at(const void* base, int64_t elems, DType d) {
  return static_cast<const uint8_t*>(base) + elems * static_cast<int64_t>(kernels::dtype_size(d));
}

inline Result<DeviceBytes> alloc_elems(int64_t elems, DType d) {
  return DeviceBytes::allocate(static_cast<size_t>(elems) * kernels::dtype_size(d));
}

// Stream-ordered (DeviceBuffer::allocate_async): for per-sample buffers used on `stream` only.
inline Result<DeviceBytes> alloc_elems_async(int64_t elems, DType d, cudaStream_t stream) {
  return DeviceBytes::allocate_async(static_cast<size_t>(elems) * kernels::dtype_size(d), stream);
}

// The collectives' element type for a compute dtype.
inline comm::DeviceDType device_dtype(DType d) {
  return d == DType::kF32   ? comm::DeviceDType::kF32
         : d == DType::kF16 ? comm::DeviceDType::kF16
                            : comm::DeviceDType::kBf16;
}

// One transformer layer's token-parallel part over `n` rows: everything but attention's core.
// Exposed as small helpers to keep prefill and decode on the same code.
struct LayerCall {
  const kernels::CublasHandle* blas;
  const LlamaConfig* c;
  DType d;
  cudaStream_t stream;
  comm::DeviceCommunicator* comm = nullptr;  // set under tensor parallelism

  // In place: x [rows, hidden] summed over the tensor-parallel ranks (nothing without comm).
  Status all_reduce(void* x, int64_t rows) const;

  // out [m, n] (out_dtype) = in [m, k] x w [n, k]^T.
  Status linear(void* out,
                const void* in,
                const DeviceBytes& w,
                int64_t m,
                int64_t n,
                int64_t k,
                DType out_dtype) const;
  // The q, k and v projections of x [m, hidden] into q [m, q_dim], k and v [m, kv_dim]: one
  // launch at decode sizes (kernels::launch_linears), cuBLAS GEMMs otherwise.
  Status qkv(void* q, void* k, void* v, const void* x, const GpuLayerWeights& W, int64_t m) const;
  // out [rows, hidden] = RMSNorm(in (+ residual, written back)) * w.
  Status norm(void* out, const void* in, void* residual, const DeviceBytes& w, int64_t rows) const;
  // RoPE in place on x [rows, heads, head_dim] at `positions` [rows].
  Status rope(
      void* x, const int64_t* positions, const float* inv_freq, int64_t rows, int32_t heads) const;
  // o-proj, post-attention norm (adds the attention output to resid), SwiGLU MLP into `pending`.
  Status attn_out_and_mlp(const GpuLayerWeights& W,
                          const void* attn,
                          void* tmp,
                          void* resid,
                          void* x,
                          void* gate_up,
                          void* act,
                          void* pending,
                          int64_t rows) const;
};

}  // namespace hkv::model::gpu_internal

namespace hkv::model {

// Activation buffers sized for `rows` token rows (a prefill chunk or a decode batch).
struct GpuModel::Scratch {
  int64_t rows = 0;
  DeviceBytes x, q, k, v, attn, tmp, gate_up, act;  // [rows, width] each
  DeviceBytes resid, pending;                       // [rows, hidden] (decode)
  DeviceBytes logits;                               // [rows, vocab], dtype
  DeviceBytes logits_local,
      logits_all;  // tensor parallelism: [rows, stride], [ranks, rows, stride]
  kernels::DeviceBuffer<float> logits_f32;    // [rows, vocab]
  kernels::DeviceBuffer<int32_t> ids, next;   // [rows]
  kernels::DeviceBuffer<int64_t> positions;   // [rows]
  kernels::DeviceBuffer<int32_t> banned;      // [64]
  kernels::DeviceBuffer<int32_t> error_flag;  // [1]
  DeviceBytes decode_ws;
  uint64_t generation = 0;  // bumped on every reallocation: captured decode graphs go stale
};

}  // namespace hkv::model
