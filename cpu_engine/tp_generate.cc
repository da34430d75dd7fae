// The tensor-parallel CPU model: a shard per rank, a thread per rank for each generate() call, and
// the merge of the ranks' runs into the run one whole model reports.
#include <algorithm>
#include <thread>

#include "common/strings.h"
#include "cpu_engine/tensor_parallel.h"

namespace hkv::model {
namespace {

int32_t segments_of(const LlamaConfig& c, CacheLayout layout) {
  return layout == CacheLayout::kGqa ? c.num_kv_heads : c.num_q_heads;
}

// Rank r's run folded into `into` (rank 0's): the same tokens, cache sizes summed.
Status merge_rank(const MultiRun& rank_run, int32_t r, MultiRun* into) {
  for (size_t i = 0; i < into->runs.size(); ++i) {
    ConfigRun& a = into->runs[i];
    const ConfigRun& b = rank_run.runs[i];
    if (a.tokens != b.tokens || a.layers.size() != b.layers.size()) {
      return errorf(StatusCode::kInternal,
                    "tensor-parallel ranks disagree on config '%s': rank 0 generated %zu tokens, "
                    "rank %d %zu (or other ids); the gathered logits should make them equal",
                    a.config.label().c_str(), a.tokens.size(), r, b.tokens.size());
    }
    for (size_t l = 0; l < a.layers.size(); ++l) {
      a.layers[l].entries += b.layers[l].entries;
      a.layers[l].min_head = std::min(a.layers[l].min_head, b.layers[l].min_head);
      a.layers[l].max_head = std::max(a.layers[l].max_head, b.layers[l].max_head);
    }
    a.cache_entries += b.cache_entries;
    a.compress_ms = std::max(a.compress_ms, b.compress_ms);
  }
  into->prefill_ms = std::max(into->prefill_ms, rank_run.prefill_ms);
  into->decode_ms = std::max(into->decode_ms, rank_run.decode_ms);
  return Status();
}

}  // namespace

Result<MultiRun> merge_tp_runs(const TpShard& shard,
                               std::vector<Result<MultiRun>> runs,
                               const std::vector<CompressionConfig>& configs,
                               const std::vector<std::vector<ConfigTrace>>* traces,
                               std::vector<ConfigTrace>* trace) {
  const int32_t R = static_cast<int32_t>(runs.size());
  const LlamaConfig& g = shard.global;
  // The root cause: a rank's own error before the aborts it caused on the others.
  const Result<MultiRun>* failed = nullptr;
  for (const Result<MultiRun>& run : runs) {
    if (!run.ok() && (failed == nullptr || (failed->status().code() == StatusCode::kAborted &&
                                            run.status().code() != StatusCode::kAborted))) {
      failed = &run;
    }
  }
  if (failed != nullptr) {
    return failed->status();
  }
  MultiRun merged = std::move(*runs[0]);
  for (int32_t r = 1; r < R; ++r) {
    HKV_RETURN_IF_ERROR(merge_rank(*runs[r], r, &merged));
  }
  if (trace != nullptr && traces != nullptr) {
    trace->assign(configs.size(), ConfigTrace());
    for (size_t i = 0; i < configs.size(); ++i) {
      const CacheLayout layout = configs[i].storage_layout();
      ConfigTrace& t = (*trace)[i];
      t.first_decode_top10 = (*traces)[0][i].first_decode_top10;
      t.kept.assign(g.num_layers, std::vector<std::vector<int32_t>>(segments_of(g, layout)));
      for (int32_t r = 0; r < R; ++r) {
        for (int32_t l = 0; l < g.num_layers; ++l) {
          const auto& local = (*traces)[r][i].kept[l];
          for (size_t s = 0; s < local.size(); ++s) {
            t.kept[l][shard.global_segment(l, r, static_cast<int32_t>(s), layout)] = local[s];
          }
        }
      }
    }
  }
  return merged;
}

Result<std::vector<std::shared_ptr<TpShard>>> make_tp_shards(
    const LlamaConfig& g, std::vector<std::vector<int32_t>> order, int32_t ranks) {
  HKV_RETURN_IF_ERROR(check_tp_layout(g, order, ranks));
  const int32_t stride = (g.vocab_size + ranks - 1) / ranks;
  std::vector<std::shared_ptr<TpShard>> shards;
  for (int32_t r = 0; r < ranks; ++r) {
    auto shard = std::make_shared<TpShard>();
    shard->rank = r;
    shard->ranks = ranks;
    shard->global = g;
    shard->order = order;
    shard->vocab_stride = stride;
    shard->vocab_begin = std::min(g.vocab_size, r * stride);
    shard->vocab_count = std::min(g.vocab_size, (r + 1) * stride) - shard->vocab_begin;
    shards.push_back(shard);
  }
  return shards;
}

Result<std::vector<std::vector<std::vector<int32_t>>>> split_head_caps(
    const std::vector<std::shared_ptr<TpShard>>& shards,
    const std::vector<CompressionConfig>& configs,
    const std::vector<std::vector<int32_t>>& head_caps) {
  if (head_caps.size() != configs.size()) {
    return errorf(StatusCode::kInvalidArgument, "generate: %zu configs with %zu capacity tables",
                  configs.size(), head_caps.size());
  }
  const LlamaConfig& g = shards[0]->global;
  std::vector<std::vector<std::vector<int32_t>>> caps(shards.size(), head_caps);
  for (size_t i = 0; i < configs.size(); ++i) {
    if (head_caps[i].empty()) {
      continue;
    }
    const CacheLayout layout = configs[i].storage_layout();
    const size_t want = static_cast<size_t>(g.num_layers) * segments_of(g, layout);
    if (head_caps[i].size() != want) {
      return errorf(StatusCode::kInvalidArgument,
                    "config '%s': %zu head capacities, expected %d layers x %d %s heads",
                    configs[i].label().c_str(), head_caps[i].size(), g.num_layers,
                    segments_of(g, layout), layout == CacheLayout::kGqa ? "KV" : "query");
    }
    for (size_t r = 0; r < shards.size(); ++r) {
      caps[r][i] = shards[r]->local_caps(head_caps[i], layout);
    }
  }
  return caps;
}

Result<std::unique_ptr<TpCpuModel>> TpCpuModel::split(const CpuModel& full,
                                                      std::vector<std::vector<int32_t>> order,
                                                      int32_t ranks) {
  if (full.tp() != nullptr) {
    return errorf(StatusCode::kInvalidArgument, "tensor parallelism: the model is already a shard");
  }
  std::unique_ptr<TpCpuModel> tp(new TpCpuModel());
  tp->global_ = full.config();
  HKV_ASSIGN_OR_RETURN(tp->shards_, make_tp_shards(full.config(), std::move(order), ranks));
  tp->new_group();
  for (int32_t r = 0; r < ranks; ++r) {
    HKV_ASSIGN_OR_RETURN(CpuModel m, CpuModel::make_shard(full, tp->shards_[r]));
    tp->models_.push_back(std::move(m));
  }
  return tp;
}

void TpCpuModel::new_group() {
  comms_ = comm::make_in_process_group(static_cast<int>(shards_.size()));
  for (size_t r = 0; r < shards_.size(); ++r) {
    shards_[r]->comm = comms_[r].get();
  }
}

Result<MultiRun> TpCpuModel::generate(std::span<const int32_t> prompt,
                                      const std::vector<CompressionConfig>& configs,
                                      const std::vector<std::vector<int32_t>>& head_caps,
                                      const GenerationConfig& gen,
                                      const TokenCallback& on_token) {
  const int32_t R = ranks();
  HKV_ASSIGN_OR_RETURN(auto caps, split_head_caps(shards_, configs, head_caps));
  std::vector<Result<MultiRun>> runs(R, Result<MultiRun>(MultiRun{}));
  std::vector<std::vector<ConfigTrace>> traces(R);
  std::vector<std::thread> threads;
  for (int32_t r = 0; r < R; ++r) {
    threads.emplace_back([&, r] {
      GenerationConfig g = gen;
      g.trace = gen.trace != nullptr ? &traces[r] : nullptr;
      runs[r] = generate_multi(models_[r], prompt, configs, caps[r], g,
                               r == 0 ? on_token : TokenCallback());
      if (!runs[r].ok()) {
        comms_[r]->abort(runs[r].status().message());
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  Result<MultiRun> merged =
      merge_tp_runs(*shards_[0], std::move(runs), configs, &traces, gen.trace);
  if (!merged.ok()) {
    new_group();
  }
  return merged;
}

}  // namespace hkv::model
