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
                              float* out) const {       // [rows, vocab]
  std::vector<float> local(rows * vocab_stride, 0.0f);  // [rows, stride]
  if (vocab_count > 0) {
    std::vector<float> part(rows * vocab_count);  // [rows, vocab_count]
    gemm_f32_nt(xn, head_slice.data.data(), part.data(), rows, vocab_count, global.hidden_size,
                false);
    for (int64_t i = 0; i < rows; ++i) {
      std::memcpy(&local[i * vocab_stride], &part[i * vocab_count], sizeof(float) * vocab_count);
    }
  }
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
  const int64_t D = g.head_dim, G = g.num_q_heads / g.num_kv_heads;
  LlamaConfig local = g;
  local.num_q_heads = g.num_q_heads / s.ranks;
  local.num_kv_heads = g.num_kv_heads / s.ranks;
  local.intermediate_size = g.intermediate_size / s.ranks;
  local.tie_word_embeddings = false;
  const int64_t f = local.intermediate_size, f0 = s.rank * f;

  LlamaWeights w;
  w.token_embd = full.weights_.token_embd;
  w.output_norm = full.weights_.output_norm;
  const HostTensor& head = g.tie_word_embeddings ? full.weights_.token_embd : full.weights_.lm_head;
  w.lm_head = gather_rows(head, {{s.vocab_begin, s.vocab_count}});
  for (int32_t l = 0; l < g.num_layers; ++l) {
    const LayerWeights& F = full.weights_.layers[l];
    std::vector<std::pair<int64_t, int64_t>> q_rows, kv_rows;
    for (int32_t i = 0; i < s.per_rank(); ++i) {
      const int64_t kh = s.order[l][s.rank * s.per_rank() + i];
      q_rows.emplace_back(kh * G * D, G * D);
      kv_rows.emplace_back(kh * D, D);
    }
    LayerWeights L;
    L.attn_norm = F.attn_norm;
    L.ffn_norm = F.ffn_norm;
    L.wq = gather_rows(F.wq, q_rows);
    L.wk = gather_rows(F.wk, kv_rows);
    L.wv = gather_rows(F.wv, kv_rows);
    L.wo = gather_cols(F.wo, q_rows);
    L.w_gate = gather_rows(F.w_gate, {{f0, f}});
    L.w_up = gather_rows(F.w_up, {{f0, f}});
    L.w_down = gather_cols(F.w_down, {{f0, f}});
    w.layers.push_back(std::move(L));
  }
  CpuModel model(std::move(local), std::move(w));
  model.tp_ = std::move(shard);
  return model;
}

}  // namespace hkv::model
