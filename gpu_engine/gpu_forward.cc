// GpuModel::prefill (layer-major, chunked, compressing each layer as soon as its K/V are complete)
// and GpuModel::decode_step (the whole batch per kernel: append, varlen attention, GEMMs).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/timing.h"
#include "gpu_engine/gpu_compress.h"
#include "gpu_engine/gpu_layer.h"
#include "gpu_engine/gpu_model.h"
#include "kernels/attention_decode.h"
#include "kernels/attention_prefill.h"
#include "kernels/kv_cache_ops.h"
#include "kernels/model_ops.h"

namespace hkv::model {
using namespace gpu_internal;  // NOLINT: the engine's own internal helpers

namespace {

Result<float> elapsed_ms(const kernels::CudaEvent& start, const kernels::CudaEvent& end) {
  HKV_RETURN_IF_ERROR(end.synchronize());
  return end.elapsed_ms_since(start);
}

// The batch's query -> segment map and, when every query is in a full GQA group (FullKV and gqa
// layout batches), the groups: each K/V row is then read once per group. A batch mixing
// per-query-head caches gets no groups: its split count follows the many short singleton
// segments, so its few long grouped segments would get G times fewer blocks (measured on the
// H200, 12-config sweep at 8k: 2032 ms grouped, 1911 ms without; b=1 FullKV decode: 7.08 ms/step
// grouped, 8.66 without).
void set_decode_groups(const GpuBatch& batch, kernels::AttentionDecodeParams* ap) {
  ap->query_segment = batch.query_segment();
  if (batch.max_group() > 1 && batch.min_group() == batch.max_group()) {
    ap->group_start = batch.group_start();
    ap->num_groups = batch.num_groups();
    ap->max_group = batch.max_group();
  }
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
    return errorf(StatusCode::kInvalidArgument,
                  "GPU prefill: a prompt token id is outside the vocabulary of %d", c.vocab_size);
  }
  return result;
}

Status GpuModel::prepare_decode(GpuBatch& batch,
                                std::span<const int32_t> tokens,
                                std::span<const int64_t> positions) {
  const LlamaConfig& c = config_;
  const int64_t B = batch.num_sequences();
  if (static_cast<int64_t>(tokens.size()) != B || static_cast<int64_t>(positions.size()) != B ||
      batch.num_layers() != c.num_layers || batch.dtype() != dtype()) {
    return errorf(StatusCode::kInvalidArgument,
                  "GPU decode: %zu tokens / %zu positions for a batch of %lld sequences with "
                  "%d of %d layers built",
                  tokens.size(), positions.size(), static_cast<long long>(B), batch.num_layers(),
                  c.num_layers);
  }
  HKV_RETURN_IF_ERROR(ensure_scratch(B));
  Scratch& s = *scratch_;
  // Everything the step allocates is allocated before a capture: logits and the split-K scratch.
  HKV_RETURN_IF_ERROR(ensure_logits(B));
  int64_t ws = 0;
  for (int32_t l = 0; l < c.num_layers; ++l) {
    kernels::AttentionDecodeParams ap;
    set_decode_groups(batch, &ap);
    ap.num_queries = static_cast<int32_t>(B * c.num_q_heads);
    ap.num_segments = batch.total_segments();
    ap.head_dim = c.head_dim;
    ap.max_kv_len = batch.layer(l).max_capacity;
    ws = std::max(ws, kernels::attention_decode_workspace_bytes(ap));
  }
  if (static_cast<int64_t>(s.decode_ws.size()) < ws) {
    HKV_ASSIGN_OR_RETURN(s.decode_ws, DeviceBytes::allocate(ws));
    ++s.generation;
  }
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.ids.data(), tokens.data(), B * sizeof(int32_t),
                                           cudaMemcpyHostToDevice, stream()));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.positions.data(), positions.data(),
                                           B * sizeof(int64_t), cudaMemcpyHostToDevice, stream()));
  return Status();
}

Status GpuModel::decode_step(GpuBatch& batch,
                             std::span<const int32_t> tokens,
                             std::span<const int64_t> positions,
                             std::span<const int32_t> banned,
                             std::vector<int32_t>* next_tokens,
                             std::vector<float>* logits) {
  HKV_RETURN_IF_ERROR(prepare_decode(batch, tokens, positions));
  const int64_t B = batch.num_sequences();
  HKV_RETURN_IF_ERROR(run_decode_body(batch));
  if (logits != nullptr) {
    HKV_RETURN_IF_ERROR(copy_logits(B, logits));
  }
  return argmax_rows(B, banned, next_tokens);
}

Status GpuModel::run_decode_body(GpuBatch& batch) {
  Scratch& s = *scratch_;
  if (!options_.decode_graphs) {
    return decode_body(batch);
  }
  if (!batch.decode_graph.valid() || batch.graph_generation != s.generation) {
    HKV_ASSIGN_OR_RETURN(batch.decode_graph,
                         kernels::CudaGraph::capture(stream(), [&] { return decode_body(batch); }));
    batch.graph_generation = s.generation;
  }
  return batch.decode_graph.launch(stream());
}

Status GpuModel::decode_step_observed(GpuBatch& batch,
                                      std::span<const int32_t> tokens,
                                      std::span<const int64_t> positions,
                                      const AttentionObserver& observer,
                                      std::vector<int32_t>* next_tokens) {
  HKV_RETURN_IF_ERROR(prepare_decode(batch, tokens, positions));
  const LlamaConfig& c = config_;
  const int64_t B = batch.num_sequences(), nq = B * c.num_q_heads;
  int64_t stride = 1;
  for (int32_t l = 0; l < c.num_layers; ++l) {
    stride = std::max(stride, batch.layer(l).max_capacity);
  }
  HKV_ASSIGN_OR_RETURN(auto probs, DeviceBuffer<float>::allocate(c.num_layers * nq * stride));
  HKV_RETURN_IF_ERROR(decode_body(batch, probs.data(), stride));
  HKV_RETURN_IF_ERROR(argmax_rows(B, {}, next_tokens));
  std::vector<float> host(probs.size());
  HKV_RETURN_IF_ERROR(probs.copy_to_host(host.data(), stream()));
  std::vector<std::vector<int32_t>> lens(c.num_layers);
  for (int32_t l = 0; l < c.num_layers; ++l) {
    lens[l].resize(batch.total_segments());
    HKV_RETURN_IF_ERROR(batch.layer(l).kv_lens.copy_to_host(lens[l].data(), stream()));
  }
  HKV_RETURN_IF_ERROR(stream_.synchronize());
  std::vector<int32_t> query_segment(nq);
  for (int64_t b = 0; b < B; ++b) {
    const bool gqa = batch.layout(static_cast<int32_t>(b)) == CacheLayout::kGqa;
    for (int32_t h = 0; h < c.num_q_heads; ++h) {
      query_segment[b * c.num_q_heads + h] = batch.segment_offset(static_cast<int32_t>(b)) +
                                             (gqa ? h / (c.num_q_heads / c.num_kv_heads) : h);
    }
  }
  for (int32_t l = 0; l < c.num_layers; ++l) {
    for (int64_t qi = 0; qi < nq; ++qi) {
      const float* row = host.data() + (l * nq + qi) * stride;
      observer(static_cast<size_t>(qi / c.num_q_heads), l, static_cast<int32_t>(qi % c.num_q_heads),
               std::span<const float>(row, lens[l][query_segment[qi]]));
    }
  }
  return Status();
}

Status GpuModel::decode_body(GpuBatch& batch, float* probs, int64_t probs_stride) {
  const LlamaConfig& c = config_;
  const DType d = dtype();
  const int64_t B = batch.num_sequences();
  Scratch& s = *scratch_;
  const int64_t h = c.hidden_size;
  kernels::EmbeddingParams ep;
  ep.out = s.resid.data();
  ep.table = weights_.token_embd.data();
  ep.ids = s.ids.data();
  ep.error_flag = s.error_flag.data();
  ep.num_tokens = B;
  ep.hidden = h;
  ep.vocab = c.vocab_size;
  ep.dtype = d;
  HKV_RETURN_IF_ERROR(kernels::launch_embedding(ep, stream()));
  LayerCall call = layer_call();
  for (int32_t l = 0; l < c.num_layers; ++l) {
    const GpuLayerWeights& W = weights_.layers[l];
    GpuCacheLayer& cache = batch.layer(l);
    if (l == 0) {
      HKV_RETURN_IF_ERROR(call.norm(s.x.data(), s.resid.data(), nullptr, W.attn_norm, B));
    } else {
      HKV_RETURN_IF_ERROR(call.norm(s.x.data(), s.pending.data(), s.resid.data(), W.attn_norm, B));
    }
    HKV_RETURN_IF_ERROR(call.qkv(s.q.data(), s.k.data(), s.v.data(), s.x.data(), W, B));
    HKV_RETURN_IF_ERROR(
        call.rope(s.q.data(), s.positions.data(), inv_freq_.data(), B, c.num_q_heads));
    HKV_RETURN_IF_ERROR(
        call.rope(s.k.data(), s.positions.data(), inv_freq_.data(), B, c.num_kv_heads));
    kernels::KvAppendParams kp;
    kp.k_cache = cache.k.data();
    kp.v_cache = cache.v.data();
    kp.k_new = s.k.data();
    kp.v_new = s.v.data();
    kp.cu_capacity = cache.cu_capacity.data();
    kp.kv_lens = cache.kv_lens.data();
    kp.error_flag = s.error_flag.data();
    kp.segment_src_row = batch.segment_src_row();
    kp.num_segments = batch.total_segments();
    kp.head_dim = c.head_dim;
    kp.new_row_stride = c.head_dim;
    kp.dtype = d;
    HKV_RETURN_IF_ERROR(kernels::launch_kv_append(kp, stream()));
    kernels::AttentionDecodeParams ap;
    ap.out = s.attn.data();
    ap.q = s.q.data();
    ap.k = cache.k.data();
    ap.v = cache.v.data();
    ap.cu_capacity = cache.cu_capacity.data();
    ap.kv_lens = cache.kv_lens.data();
    set_decode_groups(batch, &ap);
    ap.num_queries = static_cast<int32_t>(B * c.num_q_heads);
    ap.num_segments = batch.total_segments();
    ap.head_dim = c.head_dim;
    ap.q_row_stride = c.head_dim;
    ap.max_kv_len = cache.max_capacity;
    ap.softmax_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    ap.dtype = d;
    ap.workspace = s.decode_ws.data();
    ap.workspace_bytes = static_cast<int64_t>(s.decode_ws.size());
    HKV_RETURN_IF_ERROR(kernels::launch_attention_decode(ap, stream()));
    if (probs != nullptr) {
      kernels::AttentionProbsParams pp;
      pp.out = probs + int64_t{l} * B * c.num_q_heads * probs_stride;
      pp.q = s.q.data();
      pp.k = cache.k.data();
      pp.cu_capacity = cache.cu_capacity.data();
      pp.kv_lens = cache.kv_lens.data();
      pp.query_segment = batch.query_segment();
      pp.num_queries = static_cast<int32_t>(B * c.num_q_heads);
      pp.head_dim = c.head_dim;
      pp.q_row_stride = c.head_dim;
      pp.out_row_stride = probs_stride;
      pp.scale = ap.softmax_scale;
      pp.dtype = d;
      HKV_RETURN_IF_ERROR(kernels::launch_attention_probs(pp, stream()));
    }
    HKV_RETURN_IF_ERROR(call.attn_out_and_mlp(W, s.attn.data(), s.tmp.data(), s.resid.data(),
                                              s.x.data(), s.gate_up.data(), s.act.data(),
                                              s.pending.data(), B));
  }
  return logits_rows(s.pending.data(), s.resid.data(), B);
}

}  // namespace hkv::model
