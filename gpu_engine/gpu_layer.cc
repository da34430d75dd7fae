// LayerCall: the kernel launches of one layer's token-parallel part, shared by prefill and decode.
#include "gpu_engine/gpu_layer.h"

#include "kernels/rms_norm.h"
#include "kernels/rope.h"
#include "kernels/silu_mul.h"

namespace hkv::model::gpu_internal {

namespace {

// out [m, n] (out_dtype) = in [m, k] (dtype) x w [n, k]^T, as launch parameters.
kernels::LinearParams linear_params(void* out,
                                    const void* in,
                                    const DeviceBytes& w,
                                    int64_t m,
                                    int64_t n,
                                    int64_t k,
                                    DType dtype,
                                    DType out_dtype) {
  kernels::LinearParams p;
  p.out = out;
  p.in = in;
  p.weight = w.data();
  p.m = m;
  p.n = n;
  p.k = k;
  p.dtype = dtype;
  p.out_dtype = out_dtype;
  return p;
}

}  // namespace

Status LayerCall::linear(void* out,
                         const void* in,
                         const DeviceBytes& w,
                         int64_t m,
                         int64_t n,
                         int64_t k,
                         DType out_dtype) const {
  return kernels::launch_linear(*blas, linear_params(out, in, w, m, n, k, d, out_dtype));
}

Status LayerCall::qkv(
    void* q, void* k, void* v, const void* x, const GpuLayerWeights& W, int64_t m) const {
  const int64_t h = c->hidden_size, qd = int64_t{c->num_q_heads} * c->head_dim,
                kvd = int64_t{c->num_kv_heads} * c->head_dim;
  const kernels::LinearParams layers[] = {linear_params(q, x, W.wq, m, qd, h, d, d),
                                          linear_params(k, x, W.wk, m, kvd, h, d, d),
                                          linear_params(v, x, W.wv, m, kvd, h, d, d)};
  return kernels::launch_linears(*blas, layers);
}

Status LayerCall::all_reduce(void* x, int64_t rows) const {
  if (comm == nullptr) {
    return Status();
  }
  return comm->all_reduce_sum(x, rows * c->hidden_size, device_dtype(d), stream);
}

Status LayerCall::norm(
    void* out, const void* in, void* residual, const DeviceBytes& w, int64_t rows) const {
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

Status LayerCall::rope(
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

Status LayerCall::attn_out_and_mlp(const GpuLayerWeights& W,
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
  HKV_RETURN_IF_ERROR(all_reduce(tmp, rows));  // the ranks' partial o-proj sums
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
  HKV_RETURN_IF_ERROR(linear(pending, act, W.w_down, rows, h, im, d));
  return all_reduce(pending, rows);  // the ranks' partial down-proj sums
}

}  // namespace hkv::model::gpu_internal
