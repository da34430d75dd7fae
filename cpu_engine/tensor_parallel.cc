// One rank's shard: the weight rows and columns it owns (gathered once, at split time, in the
// placement's order: nothing moves while running), its logits gather and Ada-SnapKV's gathered
// allocation.
#include "cpu_engine/tensor_parallel.h"

#include <algorithm>
#include <cstring>

#include "cpu_engine/cpu_blas.h"

namespace hkv::model {
namespace {

// Rows [row0, row0 + rows) of a row-major [R, C] tensor, appended to `out`.
void append_rows(const HostTensor& t, int64_t row0, int64_t rows, std::vector<float>* out) {
  const int64_t cols = t.shape.back();
  out->insert(out->end(), t.data.begin() + row0 * cols, t.data.begin() + (row0 + rows) * cols);
}

// The tensor made of `blocks` (row0, rows) of `t`, in that order.
HostTensor gather_rows(const HostTensor& t,
                       const std::vector<std::pair<int64_t, int64_t>>& blocks) {
  HostTensor out;
  int64_t rows = 0;
  for (const auto& [row0, n] : blocks) {
    append_rows(t, row0, n, &out.data);
    rows += n;
  }
  out.shape = {rows, t.shape.back()};
  return out;
}

// Columns of a row-major [R, C] tensor: `blocks` (col0, cols) in that order, for every row.
HostTensor gather_cols(const HostTensor& t,
                       const std::vector<std::pair<int64_t, int64_t>>& blocks) {
  const int64_t rows = t.shape.front(), cols = t.shape.back();
  HostTensor out;
  int64_t width = 0;
  for (const auto& block : blocks) {
    width += block.second;
  }
  out.shape = {rows, width};
  out.data.reserve(rows * width);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = t.data.data() + r * cols;
    for (const auto& [col0, n] : blocks) {
      out.data.insert(out.data.end(), row + col0, row + col0 + n);
    }
  }
  return out;
}

}  // namespace

int32_t TpShard::global_segment(int32_t layer, int32_t r, int32_t s, CacheLayout layout) const {
  const int32_t G = global.num_q_heads / global.num_kv_heads;
  if (layout == CacheLayout::kGqa) {
    return order[layer][r * per_rank() + s];
  }
  return order[layer][r * per_rank() + s / G] * G + s % G;
}

Status TpShard::gather_logits(const float* xn,  // [rows, H]
                              const HostTensor& head_slice,
                              int64_t rows,
                              float* out) const {  // [rows, vocab]
  std::vector<float> local(rows * vocab_stride);   // [rows, stride]
  gemm_f32_nt(xn, head_slice.data.data(), local.data(), rows, vocab_stride, global.hidden_size,
              false);
  std::vector<float> all(local.size() * ranks);  // [ranks, rows, stride]
  HKV_RETURN_IF_ERROR(comm->all_gather(local, all).with_context("the LM head's logits"));
  const int64_t V = global.vocab_size;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t r = 0; r * vocab_stride < V; ++r) {
      const int64_t count = std::min<int64_t>(vocab_stride, V - r * vocab_stride);
      std::memcpy(&out[i * V + r * vocab_stride], &all[(r * rows + i) * vocab_stride],
                  sizeof(float) * count);
    }
  }
  return Status();
}

LlamaConfig TpShard::local_config() const {
  LlamaConfig local = global;
  local.num_q_heads = global.num_q_heads / ranks;
  local.num_kv_heads = global.num_kv_heads / ranks;
  local.intermediate_size = global.intermediate_size / ranks;
  local.tie_word_embeddings = false;
  return local;
}

HostTensor TpShard::shard_weight(WeightId id, int32_t layer, const HostTensor& full) const {
  const int64_t D = global.head_dim, G = global.num_q_heads / global.num_kv_heads;
  const int64_t f = global.intermediate_size / ranks, f0 = rank * f;
  std::vector<std::pair<int64_t, int64_t>> q_blocks, kv_blocks;
  for (int32_t i = 0; i < per_rank(); ++i) {
    const int64_t kh = order[layer][rank * per_rank() + i];
    q_blocks.emplace_back(kh * G * D, G * D);
    kv_blocks.emplace_back(kh * D, D);
  }
  switch (id) {
    case WeightId::kWq:
      return gather_rows(full, q_blocks);
    case WeightId::kWk:
    case WeightId::kWv:
      return gather_rows(full, kv_blocks);
    case WeightId::kWo:
      return gather_cols(full, q_blocks);
    case WeightId::kWGate:
    case WeightId::kWUp:
      return gather_rows(full, {{f0, f}});
    case WeightId::kWDown:
      return gather_cols(full, {{f0, f}});
    default:
      return full;  // norms and the embedding: every rank holds them whole
  }
}

HostTensor TpShard::shard_lm_head(const HostTensor& head) const {
  HostTensor out = gather_rows(head, {{vocab_begin, vocab_count}});
  out.data.resize(static_cast<size_t>(vocab_stride) * global.hidden_size, 0.0f);
  out.shape = {vocab_stride, global.hidden_size};
  return out;
}

Result<std::vector<int32_t>> TpShard::ada_counts(int32_t layer,
                                                 CacheLayout layout,
                                                 const std::vector<float>& local_scores,
                                                 int64_t n,
                                                 int32_t budget,
                                                 int32_t window,
                                                 bool fp16) const {
  const int32_t G = global.num_q_heads / global.num_kv_heads;
  const int32_t local_segments = layout == CacheLayout::kGqa ? per_rank() : per_rank() * G;
  const int32_t segments = local_segments * ranks;
  std::vector<float> all(local_scores.size() * ranks);  // [ranks, local segments, n]
  HKV_RETURN_IF_ERROR(
      comm->all_gather(local_scores, all).with_context("Ada-SnapKV's scores of layer %d", layer));
  std::vector<float> ordered(static_cast<size_t>(segments) * n);  // [segments, n], model order
  for (int32_t r = 0; r < ranks; ++r) {
    for (int32_t s = 0; s < local_segments; ++s) {
      std::memcpy(&ordered[global_segment(layer, r, s, layout) * n],
                  &all[(static_cast<int64_t>(r) * local_segments + s) * n], sizeof(float) * n);
    }
  }
  const std::vector<int32_t> counts =
      compression::ada_snapkv_counts(ordered, segments, n, budget, window, fp16);
  std::vector<int32_t> mine(local_segments);
  for (int32_t s = 0; s < local_segments; ++s) {
    mine[s] = counts[global_segment(layer, rank, s, layout)];
  }
  return mine;
}

std::vector<int32_t> TpShard::local_caps(std::span<const int32_t> caps, CacheLayout layout) const {
  const int32_t G = global.num_q_heads / global.num_kv_heads;
  const int32_t local_segments = layout == CacheLayout::kGqa ? per_rank() : per_rank() * G;
  const int32_t segments = local_segments * ranks;
  std::vector<int32_t> out;
  out.reserve(static_cast<size_t>(global.num_layers) * local_segments);
  for (int32_t l = 0; l < global.num_layers; ++l) {
    for (int32_t s = 0; s < local_segments; ++s) {
      out.push_back(caps[static_cast<size_t>(l) * segments + global_segment(l, rank, s, layout)]);
    }
  }
  return out;
}

std::vector<std::vector<int32_t>> contiguous_order(const LlamaConfig& g) {
  std::vector<std::vector<int32_t>> order(g.num_layers, std::vector<int32_t>(g.num_kv_heads));
  for (auto& layer : order) {
    for (int32_t h = 0; h < g.num_kv_heads; ++h) {
      layer[h] = h;
    }
  }
  return order;
}

Status check_tp_layout(const LlamaConfig& config,
                       const std::vector<std::vector<int32_t>>& order,
                       int32_t ranks) {
  if (ranks < 1 || config.num_kv_heads % ranks != 0 || config.intermediate_size % ranks != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "tensor parallelism over %d ranks: the %d KV heads and the FFN width %d must "
                  "both divide by it",
                  ranks, config.num_kv_heads, config.intermediate_size);
  }
  if (order.size() != static_cast<size_t>(config.num_layers)) {
    return errorf(StatusCode::kInvalidArgument, "head placement of %zu layers, expected %d",
                  order.size(), config.num_layers);
  }
  for (size_t l = 0; l < order.size(); ++l) {
    std::vector<int32_t> sorted = order[l];
    std::sort(sorted.begin(), sorted.end());
    for (int32_t i = 0; i < config.num_kv_heads; ++i) {
      if (sorted.size() != static_cast<size_t>(config.num_kv_heads) || sorted[i] != i) {
        return errorf(StatusCode::kInvalidArgument,
                      "head placement of layer %zu: expected each of the %d KV heads once, got "
                      "%zu entries",
                      l, config.num_kv_heads, order[l].size());
      }
    }
  }
  return Status();
}

Result<CpuModel> CpuModel::make_shard(const CpuModel& full, std::shared_ptr<const TpShard> shard) {
  const LlamaConfig& g = full.config_;
  const TpShard& s = *shard;
  HKV_RETURN_IF_ERROR(check_tp_layout(g, s.order, s.ranks));
  LlamaWeights w;
  w.token_embd = full.weights_.token_embd;
  w.output_norm = full.weights_.output_norm;
  w.lm_head =
      s.shard_lm_head(g.tie_word_embeddings ? full.weights_.token_embd : full.weights_.lm_head);
  for (int32_t l = 0; l < g.num_layers; ++l) {
    const LayerWeights& F = full.weights_.layers[l];
    LayerWeights L;
    L.attn_norm = F.attn_norm;
    L.ffn_norm = F.ffn_norm;
    L.wq = s.shard_weight(WeightId::kWq, l, F.wq);
    L.wk = s.shard_weight(WeightId::kWk, l, F.wk);
    L.wv = s.shard_weight(WeightId::kWv, l, F.wv);
    L.wo = s.shard_weight(WeightId::kWo, l, F.wo);
    L.w_gate = s.shard_weight(WeightId::kWGate, l, F.w_gate);
    L.w_up = s.shard_weight(WeightId::kWUp, l, F.w_up);
    L.w_down = s.shard_weight(WeightId::kWDown, l, F.w_down);
    w.layers.push_back(std::move(L));
  }
  CpuModel model(s.local_config(), std::move(w));
  model.tp_ = std::move(shard);
  return model;
}

}  // namespace hkv::model
