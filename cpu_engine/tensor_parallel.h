// Megatron-style tensor parallelism for the CPU engine (M11): each rank holds its KV-head groups'
// Q/K/V rows and O columns, a slice of the MLP (gate/up rows, down columns) and a slice of the LM
// head's vocabulary; one all-reduce follows attention and one the MLP, and the logits are
// gathered for the argmax. Ranks are threads joined by comm/'s in-process group, so CI checks
// tensor-parallel correctness without GPUs.
//
// Heads are placed per layer by a placement (head_scores/placement.h): rank r owns the KV heads
// order[layer][r * per_rank .. (r + 1) * per_rank), with their query heads (reference layout:
// G consecutive query heads per KV head). Compression then runs on each rank's own heads; only
// Ada-SnapKV, whose budget is shared by all heads of a layer, gathers the layer's scores.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "comm/communicator.h"
#include "common/status.h"
#include "cpu_engine/compression_config.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/generate.h"
#include "formats/config.h"
#include "formats/weights.h"

namespace hkv::model {

// What one rank of a tensor-parallel group owns.
struct TpShard {
  comm::Communicator* comm = nullptr;  // this rank's; owned by the group (TpCpuModel)
  int32_t rank = 0;
  int32_t ranks = 1;
  LlamaConfig global;  // the whole model's shape
  // [layer][slot]: the placement; rank r owns slots [r * per_rank, (r + 1) * per_rank).
  std::vector<std::vector<int32_t>> order;
  int32_t vocab_stride = 0;  // ceil(vocab / ranks): every rank's padded LM-head slice
  int32_t vocab_begin = 0;   // this rank's LM-head rows [vocab_begin, vocab_begin + vocab_count)
  int32_t vocab_count = 0;

  int32_t per_rank() const { return global.num_kv_heads / ranks; }

  // The shard's shape: its query and KV heads and FFN width, the whole vocabulary, untied (the LM
  // head is this rank's slice, the embedding the whole table).
  LlamaConfig local_config() const;

  // This rank's part of a layer weight `full` (HF layout, as ModelSource::load gives it): Q/K/V
  // rows and O columns of its KV-head groups in the placement's order, gate/up rows and down
  // columns of its FFN slice; norms whole.
  HostTensor shard_weight(WeightId id, int32_t layer, const HostTensor& full) const;

  // Rows [vocab_begin, vocab_begin + vocab_count) of the LM head (or the tied embedding), padded
  // with zero rows to vocab_stride: every rank's logits slice has the same width.
  HostTensor shard_lm_head(const HostTensor& head) const;

  // The global segment (query head in the reference layout, KV head in gqa) that rank `r`'s
  // local segment `s` of `layer` is.
  int32_t global_segment(int32_t layer, int32_t r, int32_t s, CacheLayout layout) const;

  // out [rows, vocab] = xn [rows, H] head_slice^T over every rank's slice (all-gather);
  // head_slice [vocab_stride, H] from shard_lm_head.
  Status gather_logits(const float* xn,
                       const HostTensor& head_slice,
                       int64_t rows,
                       float* out) const;

  // Ada-SnapKV's per-segment counts of this rank's segments for `layer`: gathers every rank's
  // window scores ([local segments, n] each), orders them as the whole model's heads and applies
  // the rule of compression::ada_snapkv_counts to the layer, exactly as one rank would.
  Result<std::vector<int32_t>> ada_counts(int32_t layer,
                                          CacheLayout layout,
                                          const std::vector<float>& local_scores,
                                          int64_t n,
                                          int32_t budget,
                                          int32_t window,
                                          bool fp16) const;

  // `caps` [num_layers * global segments] -> this rank's [num_layers * local segments].
  std::vector<int32_t> local_caps(std::span<const int32_t> caps, CacheLayout layout) const;
};

// `order` [layer][slot] a placement of `config`'s KV heads on `ranks` ranks: InvalidArgument
// unless every layer lists each KV head once and ranks divides the KV heads and the FFN width.
Status check_tp_layout(const LlamaConfig& config,
                       const std::vector<std::vector<int32_t>>& order,
                       int32_t ranks);

// One TpShard per rank of `g` under the placement `order` (check_tp_layout), comm unset.
Result<std::vector<std::shared_ptr<TpShard>>> make_tp_shards(
    const LlamaConfig& g, std::vector<std::vector<int32_t>> order, int32_t ranks);

// Contiguous placement of `g`'s KV heads: [layer][slot] = slot.
std::vector<std::vector<int32_t>> contiguous_order(const LlamaConfig& g);

// The ranks' runs of one generate call as the whole model's run: the root cause when a rank failed
// (its own error before the aborts it caused on the others); else rank 0's tokens (every rank
// must agree: the logits are gathered), per-layer cache sizes summed over the ranks, and when
// `trace` is set the ranks' `traces` in the whole model's segment order. `shard`: any rank's.
Result<MultiRun> merge_tp_runs(const TpShard& shard,
                               std::vector<Result<MultiRun>> runs,
                               const std::vector<CompressionConfig>& configs,
                               const std::vector<std::vector<ConfigTrace>>* traces,
                               std::vector<ConfigTrace>* trace);

// [rank][config]: each rank's slice of every HeadKV capacity table (empty tables stay empty);
// InvalidArgument names a table of the wrong size.
Result<std::vector<std::vector<std::vector<int32_t>>>> split_head_caps(
    const std::vector<std::shared_ptr<TpShard>>& shards,
    const std::vector<CompressionConfig>& configs,
    const std::vector<std::vector<int32_t>>& head_caps);

// A model split over `ranks` threads of this process. generate() runs every rank's
// generate_multi on its own thread and merges them: the tokens (identical on every rank: the
// logits are gathered), per-layer cache sizes summed over the ranks, kept positions traced in the
// whole model's segment order.
class TpCpuModel {
 public:
  // `order` [layer][slot]: head_scores::HeadPlacement::order (contiguous or balanced).
  static Result<std::unique_ptr<TpCpuModel>> split(const CpuModel& full,
                                                   std::vector<std::vector<int32_t>> order,
                                                   int32_t ranks);

  const LlamaConfig& config() const { return global_; }

  int32_t ranks() const { return static_cast<int32_t>(shards_.size()); }

  const TpShard& shard(int32_t r) const { return *shards_[r]; }

  // Rank r's model, for running its collectives on a thread of the caller's (every rank at once).
  const CpuModel& rank_model(int32_t r) const { return models_[r]; }

  // As generate_multi; `head_caps` as for the whole model. A rank that fails aborts the group (the
  // others stop at their next collective); the root cause is returned and the next call gets a
  // fresh group.
  Result<MultiRun> generate(std::span<const int32_t> prompt,
                            const std::vector<CompressionConfig>& configs,
                            const std::vector<std::vector<int32_t>>& head_caps,
                            const GenerationConfig& gen,
                            const TokenCallback& on_token = {});

 private:
  TpCpuModel() = default;
  void new_group();

  LlamaConfig global_;
  std::vector<std::unique_ptr<comm::Communicator>> comms_;
  std::vector<std::shared_ptr<TpShard>> shards_;
  std::vector<CpuModel> models_;
};

}  // namespace hkv::model
