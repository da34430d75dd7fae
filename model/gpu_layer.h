// Internal to the GPU engine (gpu_model.cc, gpu_forward.cc): dtype-offset helpers, the
// activation scratch and the per-layer calls shared by prefill and decode.
#pragma once

#include <cstdint>

#include "kernels/device_buffer.h"
#include "kernels/gemm.h"
#include "kernels/rms_norm.h"
#include "kernels/rope.h"
#include "kernels/silu_mul.h"
#include "model/gpu_model.h"

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

// One transformer layer's token-parallel part over `n` rows: everything but attention's core.
// Exposed as small helpers to keep prefill and decode on the same code.
struct LayerCall {
  const kernels::CublasHandle* blas;
  const LlamaConfig* c;
  DType d;
  cudaStream_t stream;

  Status linear(void* out,
                const void* in,
                const DeviceBytes& w,
                int64_t m,
                int64_t n,
                int64_t k,
                DType out_dtype) const {
    kernels::LinearParams p;
    p.out = out;
    p.in = in;
    p.weight = w.data();
    p.m = m;
    p.n = n;
    p.k = k;
    p.dtype = d;
    p.out_dtype = out_dtype;
    return kernels::launch_linear(*blas, p);
  }

  Status norm(void* out, const void* in, void* residual, const DeviceBytes& w, int64_t rows) const {
    kernels::RmsNormParams p;
    p.out = out;
    p.in = in;
    p.residual = residual;
    p.weight = w.data();
    p.num_rows = rows;
    p.hidden = c->hidden_size;
    p.eps = static_cast<float>(c->rms_norm_eps);
    p.dtype = d;
    return kernels::launch_rms_norm(p, stream);
  }

  Status rope(
      void* x, const int64_t* positions, const float* inv_freq, int64_t rows, int32_t heads) const {
    kernels::RopeParams p;
    p.x = x;
    p.positions = positions;
    p.inv_freq = inv_freq;
    p.num_tokens = rows;
    p.num_heads = heads;
    p.head_dim = c->head_dim;
    p.token_stride = int64_t{heads} * c->head_dim;
    p.head_stride = c->head_dim;
    p.dtype = d;
    return kernels::launch_rope(p, stream);
  }

  // o-proj, post-attention norm (adds the attention output to resid), SwiGLU MLP into `pending`.
  Status attn_out_and_mlp(const GpuLayerWeights& W,
                          const void* attn,
                          void* tmp,
                          void* resid,
                          void* x,
                          void* gate_up,
                          void* act,
                          void* pending,
                          int64_t rows) const {
    const int64_t h = c->hidden_size, qd = int64_t{c->num_q_heads} * c->head_dim,
                  im = c->intermediate_size;
    HKV_RETURN_IF_ERROR(linear(tmp, attn, W.wo, rows, h, qd, d));
    HKV_RETURN_IF_ERROR(norm(x, tmp, resid, W.ffn_norm, rows));
    HKV_RETURN_IF_ERROR(linear(gate_up, x, W.w_gate_up, rows, 2 * im, h, d));
    kernels::SiluMulParams sp;
    sp.out = act;
    sp.gate = gate_up;
    sp.up = at(gate_up, im, d);
    sp.num_rows = rows;
    sp.width = im;
    sp.gate_row_stride = 2 * im;
    sp.up_row_stride = 2 * im;
    sp.dtype = d;
    HKV_RETURN_IF_ERROR(kernels::launch_silu_mul(sp, stream));
    return linear(pending, act, W.w_down, rows, h, im, d);
  }
};

}  // namespace hkv::model::gpu_internal

namespace hkv::model {

// Activation buffers sized for `rows` token rows (a prefill chunk or a decode batch).
struct GpuModel::Scratch {
  int64_t rows = 0;
  DeviceBytes x, q, k, v, attn, tmp, gate_up, act;  // [rows, width] each
  DeviceBytes resid, pending;                       // [rows, hidden] (decode)
  DeviceBytes logits;                               // [rows, vocab], dtype
  kernels::DeviceBuffer<float> logits_f32;          // [rows, vocab]
  kernels::DeviceBuffer<int32_t> ids, next;         // [rows]
  kernels::DeviceBuffer<int64_t> positions;         // [rows]
  kernels::DeviceBuffer<int32_t> banned;            // [64]
  kernels::DeviceBuffer<int32_t> error_flag;        // [1]
  DeviceBytes decode_ws;
  uint64_t generation = 0;  // bumped on every reallocation: captured decode graphs go stale
};

}  // namespace hkv::model
