// The CPU engine's Llama forward pass: float32 weights, OpenBLAS GEMMs, fp32 accumulation. Prefill
// returns everything compression needs (post-RoPE K/V of every layer and the last window's
// queries); decode runs a batch of sequences, each with its own compacted per-head cache.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "cpu_engine/kv_cache.h"
#include "cpu_engine/rope.h"
#include "formats/config.h"
#include "formats/weights.h"

namespace hkv::model {

struct TpShard;  // cpu_engine/tensor_parallel.h

struct PrefillLayer {
  std::vector<float> k;         // [num_kv_heads, num_tokens, head_dim], post-RoPE
  std::vector<float> v;         // [num_kv_heads, num_tokens, head_dim]
  std::vector<float> window_q;  // [num_q_heads, window_rows, head_dim], post-RoPE, last rows
};

struct PrefillOutput {
  int64_t num_tokens = 0;
  int32_t window_rows = 0;           // min(requested window, num_tokens)
  std::vector<float> last_logits;    // [vocab]
  std::vector<float> all_logits;     // [num_tokens, vocab] when requested, else empty
  std::vector<PrefillLayer> layers;  // [num_layers]
};

// Sees each query head's softmax row over its cache segment during decode (head detection).
// Row i of a FullKV cache is prompt/generated position i.
using AttentionObserver = std::function<void(
    size_t batch_index, int32_t layer, int32_t q_head, std::span<const float> probs)>;

class CpuModel {
 public:
  static Result<CpuModel> load(const ModelSource& source);

  // One rank's shard of `full` for tensor parallelism (cpu_engine/tensor_parallel.h): the rank's
  // KV-head groups of every layer (Q/K/V rows and O columns gathered in `shard`'s order), its
  // slice of the MLP (gate/up rows, down columns) and of the LM head's vocabulary. config() is then
  // the shard's shape (its heads and FFN width; the whole vocabulary), and the forward passes
  // all-reduce after attention and after the MLP and gather the logits through shard->comm.
  static Result<CpuModel> make_shard(const CpuModel& full, std::shared_ptr<const TpShard> shard);

  const LlamaConfig& config() const { return config_; }

  // The tensor-parallel rank this model is, or null for a whole model.
  const TpShard* tp() const { return tp_.get(); }

  // Runs the prompt through the model. `window` query rows per layer are kept for scoring.
  Result<PrefillOutput> prefill(std::span<const int32_t> ids,
                                int32_t window,
                                bool all_logits) const;

  // One decode step for a batch: sequence b feeds tokens[b] at positions[b], appends its K/V to
  // caches[b] (per the cache's layout) and attends over that cache. logits: [batch, vocab].
  Status decode(std::span<const int32_t> tokens,
                std::span<const int64_t> positions,
                std::span<HeadKvCache* const> caches,
                std::vector<float>* logits,
                const AttentionObserver* observer = nullptr) const;

 private:
  CpuModel(LlamaConfig config, LlamaWeights weights);

  void rms_norm(const float* x, const HostTensor& w, float* out, int64_t rows) const;
  // x [rows, H] += in [rows, k] W^T for a row-parallel W [H, k] (O and down projections): the
  // shards' partial products are all-reduced first under tensor parallelism.
  Status add_row_parallel(
      const float* in, const HostTensor& w, float* x, int64_t rows, int64_t k) const;
  Status mlp_residual(const LayerWeights& L, float* x, int64_t rows) const;
  Status logits_for(const float* x, int64_t rows, float* out) const;  // final norm + lm head

  LlamaConfig config_;
  LlamaWeights weights_;
  Rope rope_;
  std::shared_ptr<const TpShard> tp_;
};

}  // namespace hkv::model
