// The GPU generation loop. Sequences that stopped keep decoding with the batch (their tokens are
// discarded): a step costs the same either way and the batch maps stay fixed.
#include "model/gpu_generate.h"

#include <algorithm>
#include <chrono>

namespace hkv::model {

Result<MultiRun> generate_multi_gpu(GpuModel& model,
                                    std::span<const int32_t> prompt,
                                    const std::vector<CompressionConfig>& configs,
                                    const std::vector<std::vector<int32_t>>& head_caps,
                                    const GenerationConfig& gen,
                                    const TokenCallback& on_token,
                                    GpuTrace* trace) {
  if (gen.max_new_tokens < 1) {
    return errorf(StatusCode::kInvalidArgument, "max_new_tokens = %d, expected >= 1",
                  gen.max_new_tokens);
  }
  GpuPrefillOptions po;
  po.reserve_rows = gen.max_new_tokens;
  po.fp16_scores = gen.fp16_scores;
  std::vector<std::vector<KeptPositions>> kept;
  if (trace != nullptr && trace->keep_positions)
    po.kept = &kept;
  HKV_ASSIGN_OR_RETURN(GpuPrefillResult pre, model.prefill(prompt, configs, head_caps, po));
  MultiRun result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  result.prefill_ms = pre.prefill_ms;
  GpuBatch& batch = pre.batch;
  for (size_t i = 0; i < configs.size(); ++i) {
    ConfigRun run;
    run.config = configs[i];
    run.compress_ms = pre.compress_ms / static_cast<double>(configs.size());
    for (int32_t l = 0; l < batch.num_layers(); ++l) {
      LayerCacheStats st;
      batch.layer_stats(static_cast<int32_t>(i), l, &st.entries, &st.min_head, &st.max_head);
      run.layers.push_back(st);
      run.cache_entries += st.entries;
    }
    result.runs.push_back(std::move(run));
  }
  if (trace != nullptr) {
    trace->kept = std::move(kept);
    trace->plan = pre.plan;
    trace->cache_bytes = batch.cache_bytes();
    if (trace->keep_logits)
      trace->logits.push_back(pre.last_logits);
  }
  const std::vector<int32_t> no_ban;
  const int32_t first =
      greedy_token(pre.last_logits, gen.min_new_tokens > 0 ? gen.stop_ids : no_ban);
  auto is_stop = [&](int32_t t) {
    return std::find(gen.stop_ids.begin(), gen.stop_ids.end(), t) != gen.stop_ids.end();
  };
  const size_t B = configs.size();
  std::vector<int32_t> tokens(B, first);
  for (size_t i = 0; i < B; ++i) {
    result.runs[i].tokens.push_back(first);
    result.runs[i].stopped = is_stop(first);
    if (on_token)
      on_token(i, first);
  }
  auto td = std::chrono::steady_clock::now();
  std::vector<int64_t> positions(B);
  std::vector<int32_t> next;
  std::vector<float> logits;
  for (int32_t step = 1; step < gen.max_new_tokens; ++step) {
    if (std::all_of(result.runs.begin(), result.runs.end(),
                    [](const ConfigRun& r) { return r.stopped; }))
      break;
    std::fill(positions.begin(), positions.end(), result.prompt_tokens + step - 1);
    const std::vector<int32_t>& ban = step < gen.min_new_tokens ? gen.stop_ids : no_ban;
    const bool want_logits = trace != nullptr && trace->keep_logits;
    HKV_RETURN_IF_ERROR(model.decode_step(batch, tokens, positions, ban, &next,
                                          want_logits ? &logits : nullptr));
    ++result.decode_steps;
    if (want_logits)
      trace->logits.emplace_back(logits.begin(), logits.begin() + model.config().vocab_size);
    for (size_t i = 0; i < B; ++i) {
      tokens[i] = next[i];
      ConfigRun& run = result.runs[i];
      if (run.stopped)
        continue;
      run.tokens.push_back(next[i]);
      run.stopped = is_stop(next[i]);
      if (on_token)
        on_token(i, next[i]);
    }
  }
  result.decode_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - td).count();
  return result;
}

}  // namespace hkv::model
