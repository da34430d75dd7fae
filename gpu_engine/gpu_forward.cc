// GpuModel::prefill (layer-major, chunked, compressing each layer as soon as its K/V are complete);
// the decode step is in gpu_decode.cc.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/timing.h"
#include "gpu_engine/gpu_compress.h"
#include "gpu_engine/gpu_layer.h"
#include "gpu_engine/gpu_model.h"
#include "kernels/attention_prefill.h"
#include "kernels/model_ops.h"

namespace hkv::model {
using namespace gpu_internal;  // NOLINT: the engine's own internal helpers

namespace {

Result<float> elapsed_ms(const kernels::CudaEvent& start, const kernels::CudaEvent& end) {
  HKV_RETURN_IF_ERROR(end.synchronize());
  return end.elapsed_ms_since(start);
}

}  // namespace

// The whole prompt's buffers of one prefill, freed on return.
struct GpuModel::PrefillBuffers {
  int64_t L = 0;
  int32_t w_rows = 0;
  DeviceBytes resid;                     // [L, hidden] residual stream
  DeviceBytes pending;                   // [L, hidden] the layer's output, added on the next norm
  DeviceBytes k_full, v_full;            // [L, kv_heads * head_dim] the layer's K/V
  DeviceBytes window_q;                  // [w_rows, q_heads * head_dim] post-RoPE window queries
  kernels::DeviceBuffer<int32_t> ids_d;  // [L]
  kernels::DeviceBuffer<int64_t> pos_d;  // [L] 0 .. L - 1
};

Result<GpuMemoryPlan> GpuModel::plan_prefill(int64_t L, int32_t w_rows) const {
  size_t free_bytes = 0, total_bytes = 0;
  HKV_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(&free_bytes, &total_bytes));
  free_bytes += kernels::pool_idle_bytes();  // the prefill's buffers come from the pool first
  int64_t chunk = options_.prefill_chunk;
  GpuMemoryPlan plan = plan_gpu_prefill(config_, dtype(), L, chunk, w_rows);
  while (plan.total() - plan.weights > static_cast<int64_t>(free_bytes) * 9 / 10 && chunk > 256) {
    chunk /= 2;
    plan = plan_gpu_prefill(config_, dtype(), L, chunk, w_rows);
  }
  if (plan.total() - plan.weights > static_cast<int64_t>(free_bytes)) {
    return errorf(StatusCode::kResourceExhausted,
                  "GPU prefill of %lld tokens needs %.2f GiB besides the weights (hidden state "
                  "%.2f, one layer's KV %.2f, chunk %.2f, scores %.2f), %.2f GiB free",
                  static_cast<long long>(L), (plan.total() - plan.weights) / 1073741824.0,
                  plan.hidden_state / 1073741824.0, plan.layer_kv / 1073741824.0,
                  plan.chunk / 1073741824.0, plan.scores / 1073741824.0, free_bytes / 1073741824.0);
  }
  return plan;
}

Status GpuModel::alloc_prefill_buffers(std::span<const int32_t> ids, PrefillBuffers& b) {
  const LlamaConfig& c = config_;
  const DType d = dtype();
  const int64_t L = b.L, h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim;
  HKV_ASSIGN_OR_RETURN(b.resid, alloc_elems_async(L * h, d, stream()));
  HKV_ASSIGN_OR_RETURN(b.pending, alloc_elems_async(L * h, d, stream()));
  HKV_ASSIGN_OR_RETURN(b.k_full, alloc_elems_async(L * kvd, d, stream()));
  HKV_ASSIGN_OR_RETURN(b.v_full, alloc_elems_async(L * kvd, d, stream()));
  HKV_ASSIGN_OR_RETURN(b.window_q, alloc_elems_async(int64_t{b.w_rows} * qd, d, stream()));
  HKV_ASSIGN_OR_RETURN(b.ids_d, DeviceBuffer<int32_t>::allocate_async(L, stream()));
  HKV_ASSIGN_OR_RETURN(b.pos_d, DeviceBuffer<int64_t>::allocate_async(L, stream()));
  std::vector<int64_t> pos(L);
  for (int64_t i = 0; i < L; ++i) {
    pos[i] = i;
  }
  HKV_RETURN_IF_ERROR(b.ids_d.copy_from_host(ids.data(), stream()));
  return b.pos_d.copy_from_host(pos.data(), stream());
}

Status GpuModel::prefill_chunk(
    const GpuLayerWeights& W, int32_t l, int64_t c0, int64_t n, PrefillBuffers& b) {
  const LlamaConfig& c = config_;
  const DType d = dtype();
  Scratch& s = *scratch_;
  LayerCall call = layer_call();
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim;
  const int64_t L = b.L;
  void* resid_c = at(b.resid.data(), c0 * h, d);      // [n, hidden]
  void* pending_c = at(b.pending.data(), c0 * h, d);  // [n, hidden]
  void* k_c = at(b.k_full.data(), c0 * kvd, d);       // [n, kvd]
  void* v_c = at(b.v_full.data(), c0 * kvd, d);       // [n, kvd]
  if (l == 0) {
    HKV_RETURN_IF_ERROR(call.norm(s.x.data(), resid_c, nullptr, W.attn_norm, n));
  } else {
    HKV_RETURN_IF_ERROR(call.norm(s.x.data(), pending_c, resid_c, W.attn_norm, n));
  }
  HKV_RETURN_IF_ERROR(call.qkv(s.q.data(), k_c, v_c, s.x.data(), W, n));
  HKV_RETURN_IF_ERROR(
      call.rope(s.q.data(), b.pos_d.data() + c0, inv_freq_.data(), n, c.num_q_heads));
  HKV_RETURN_IF_ERROR(call.rope(k_c, b.pos_d.data() + c0, inv_freq_.data(), n, c.num_kv_heads));
  kernels::AttentionPrefillParams ap;
  ap.out = s.attn.data();
  ap.q = s.q.data();
  ap.k = b.k_full.data();
  ap.v = b.v_full.data();
  ap.num_q_tokens = n;
  ap.kv_len = c0 + n;
  ap.num_q_heads = c.num_q_heads;
  ap.num_kv_heads = c.num_kv_heads;
  ap.head_dim = c.head_dim;
  ap.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  ap.dtype = d;
  HKV_RETURN_IF_ERROR(kernels::launch_attention_prefill(ap, stream()));
  // The last w_rows post-RoPE query rows, for the window scores.
  const int64_t w_begin = std::max(L - b.w_rows, c0), w_end = c0 + n;
  if (w_begin < w_end) {
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(
        at(b.window_q.data(), (w_begin - (L - b.w_rows)) * qd, d),
        at(s.q.data(), (w_begin - c0) * qd, d), (w_end - w_begin) * qd * kernels::dtype_size(d),
        cudaMemcpyDeviceToDevice, stream()));
  }
  return call.attn_out_and_mlp(W, s.attn.data(), s.tmp.data(), resid_c, s.x.data(),
                               s.gate_up.data(), s.act.data(), pending_c, n);
}

Result<GpuPrefillResult> GpuModel::prefill(std::span<const int32_t> ids,
                                           const std::vector<CompressionConfig>& configs,
                                           const std::vector<std::vector<int32_t>>& head_caps,
                                           const GpuPrefillOptions& options) {
  const LlamaConfig& c = config_;
  const DType d = dtype();
  const int64_t L = static_cast<int64_t>(ids.size());
  if (L < 1 || configs.empty() || head_caps.size() != configs.size()) {
    return errorf(StatusCode::kInvalidArgument,
                  "GPU prefill: %lld prompt tokens, %zu configs, %zu capacity tables (expected a "
                  "non-empty prompt and one table per config)",
                  static_cast<long long>(L), configs.size(), head_caps.size());
  }
  if (!options.fp16_scores) {
    return errorf(StatusCode::kUnimplemented,
                  "GPU engine: window scores are always computed with the reference's fp16 "
                  "rounding steps (fp16_scores = false is CPU-only)");
  }
  int32_t window = 1;
  std::vector<CacheLayout> layouts;
  for (const CompressionConfig& cc : configs) {
    window = std::max(window, cc.window);
    layouts.push_back(cc.storage_layout());
  }
  PrefillBuffers b;
  b.L = L;
  b.w_rows = static_cast<int32_t>(std::min<int64_t>(window, L));
  HKV_ASSIGN_OR_RETURN(GpuMemoryPlan plan, plan_prefill(L, b.w_rows));
  const int64_t chunk = plan.chunk_tokens;
  HKV_RETURN_IF_ERROR(ensure_scratch(chunk));
  Scratch& s = *scratch_;
  const int64_t h = c.hidden_size;
  HKV_RETURN_IF_ERROR(alloc_prefill_buffers(ids, b));
  HKV_ASSIGN_OR_RETURN(kernels::CudaEvent t0, kernels::CudaEvent::create());
  HKV_ASSIGN_OR_RETURN(kernels::CudaEvent t1, kernels::CudaEvent::create());
  HKV_RETURN_IF_ERROR(t0.record(stream()));
  kernels::EmbeddingParams ep;
  ep.out = b.resid.data();
  ep.table = weights_.token_embd.data();
  ep.ids = b.ids_d.data();
  ep.error_flag = s.error_flag.data();
  ep.num_tokens = L;
  ep.hidden = h;
  ep.vocab = c.vocab_size;
  ep.dtype = d;
  // The flag covers this prompt's ids only (an earlier prefill may have failed before reading it).
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(s.error_flag.data(), 0, 4, stream()));
  HKV_RETURN_IF_ERROR(kernels::launch_embedding(ep, stream()));
  GpuPrefillResult result{};
  HKV_ASSIGN_OR_RETURN(result.batch, GpuBatch::create(c, layouts, d, stream()));
  HKV_ASSIGN_OR_RETURN(auto compressor,
                       GpuCompressor::create(c, d, configs, head_caps, L, b.w_rows,
                                             options.reserve_rows, stream(), tp()));
  double compress_ms = 0.0;
  for (int32_t l = 0; l < c.num_layers; ++l) {
    for (int64_t c0 = 0; c0 < L; c0 += chunk) {
      HKV_RETURN_IF_ERROR(prefill_chunk(weights_.layers[l], l, c0, std::min(chunk, L - c0), b));
    }
    auto tc = std::chrono::steady_clock::now();
    LayerKvView view{b.k_full.data(), b.v_full.data(), b.window_q.data(), L, b.w_rows};
    HKV_RETURN_IF_ERROR(compressor->compress_layer(l, view, &result.batch, options.kept));
    compress_ms += ms_since(tc);
  }
  HKV_RETURN_IF_ERROR(
      logits_rows(at(b.pending.data(), (L - 1) * h, d), at(b.resid.data(), (L - 1) * h, d), 1));
  HKV_RETURN_IF_ERROR(t1.record(stream()));
  HKV_RETURN_IF_ERROR(copy_logits(1, &result.last_logits));
  HKV_RETURN_IF_ERROR(compressor->finish());
  HKV_RETURN_IF_ERROR(result.batch.sync_host_tables());  // layers sized on the device
  HKV_ASSIGN_OR_RETURN(float ms, elapsed_ms(t0, t1));
  result.prefill_ms = ms;
  result.compress_ms = compress_ms;
  plan.scores = compressor->scratch_bytes();
  result.plan = plan;
  int32_t flag = 0;
  HKV_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(&flag, s.error_flag.data(), 4, cudaMemcpyDeviceToHost, stream()));
  HKV_RETURN_IF_ERROR(stream_.synchronize());
  if (flag != 0) {
    // Cleared, so the next prompt is not refused for this one's ids.
    HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(s.error_flag.data(), 0, 4, stream()));
    return errorf(StatusCode::kInvalidArgument,
                  "GPU prefill: a prompt token id is outside the vocabulary of %d", c.vocab_size);
  }
  return result;
}

}  // namespace hkv::model
