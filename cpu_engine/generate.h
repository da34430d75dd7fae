// Shared-prefill generation: one prefill of the prompt, then every configuration builds its own
// compressed cache and all of them decode together as one batch. Greedy decoding with the
// reference's rules (ALGORITHMS.md §5.1): stop ids, max_new_tokens, and min_new_tokens banning the
// stop ids for the first steps (min_length = L + 1 bans EOS at step 1).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "common/status.h"
#include "cpu_engine/compression_config.h"
#include "cpu_engine/cpu_model.h"

namespace hkv::model {

// What a config kept and what it predicted first: for checking selections against another
// implementation and seeing what a method throws away.
struct ConfigTrace {
  // [layer][segment]: kept prompt positions as stored, in score order, then the window in
  // position order. Segments are query heads (reference layout) or KV heads (gqa, and FullKV).
  std::vector<std::vector<std::vector<int32_t>>> kept;
  // The first decode step's 10 highest logits (after the compressed cache), highest first; empty
  // when generation ended at the first token.
  std::vector<std::pair<int32_t, float>> first_decode_top10;
};

struct GenerationConfig {
  int32_t max_new_tokens = 64;
  std::vector<int32_t> stop_ids;  // generation ends after producing one of these (kept in output)
  int32_t min_new_tokens = 0;     // stop ids are banned while fewer tokens than this were produced
  bool fp16_scores = true;        // window-score precision emulation (§0.4)
  // When set and it turns true, generation stops before the next prefill or decode step with
  // Cancelled (a cancelled sweep's task); its caches are freed on the way out.
  const std::atomic<bool>* cancel = nullptr;
  // When set, filled with one ConfigTrace per config (CPU engine; `headkv generate --trace`).
  std::vector<ConfigTrace>* trace = nullptr;
};

// The `k` highest (id, logit) pairs of `logits`, highest first, ties to the lower id.
std::vector<std::pair<int32_t, float>> top_logits(std::span<const float> logits, size_t k);

// Cancelled naming `where` when gen.cancel is set and true; OK otherwise.
Status check_cancel(const GenerationConfig& gen, const char* where, int32_t step);

struct LayerCacheStats {
  int64_t entries = 0;  // kept K/V rows over all heads of the layer, after prefill compression
  int32_t min_head = 0;
  int32_t max_head = 0;
};

struct ConfigRun {
  CompressionConfig config;
  std::vector<int32_t> tokens;          // generated ids, stop token included when produced
  bool stopped = false;                 // ended on a stop id (else on max_new_tokens)
  std::vector<LayerCacheStats> layers;  // per layer, right after compression
  int64_t cache_entries = 0;            // all layers, after compression
  double compress_ms = 0.0;
};

struct MultiRun {
  int64_t prompt_tokens = 0;
  double prefill_ms = 0.0;
  double decode_ms = 0.0;  // the batched decode of all configs
  int32_t decode_steps = 0;
  std::vector<ConfigRun> runs;  // one per config, in input order
};

// Greedy argmax over logits with `banned` ids excluded; ties to the lowest id.
int32_t greedy_token(std::span<const float> logits, std::span<const int32_t> banned);

// Called after each decode step with (config index, token) for streaming output; may be empty.
using TokenCallback = std::function<void(size_t, int32_t)>;

// `head_caps[i]` holds config i's HeadKV capacities ([num_layers * segments]) or is empty.
Result<MultiRun> generate_multi(const CpuModel& model,
                                std::span<const int32_t> prompt,
                                const std::vector<CompressionConfig>& configs,
                                const std::vector<std::vector<int32_t>>& head_caps,
                                const GenerationConfig& gen,
                                const TokenCallback& on_token = {});

}  // namespace hkv::model
