// GpuModel's decode step (the whole batch per kernel: append, varlen attention, GEMMs), captured
// as a CUDA graph per batch, and the observed step of `heads detect`.
#include <algorithm>

#include "gpu_engine/gpu_layer.h"
#include "gpu_engine/gpu_model.h"
#include "kernels/attention_decode.h"
#include "kernels/kv_cache_ops.h"
#include "kernels/model_ops.h"

namespace hkv::model {
using namespace gpu_internal;  // NOLINT: the engine's own internal helpers

namespace {

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
