// The multi-config generation loop. The first token comes from the shared prefill's logits and is
// identical for every config (prefill attention is uncompressed); decode step t feeds token t at
// position L + t - 1 for every still-active config in one batch.
#include "cpu_engine/generate.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "common/parallel.h"
#include "common/timing.h"
#include "cpu_engine/kv_compressor.h"

namespace hkv::model {

int32_t greedy_token(std::span<const float> logits, std::span<const int32_t> banned) {
  int32_t best = -1;
  float best_value = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); ++i) {
    // The ban list is looked up only for a token that would become the best: a vocabulary-wide
    // scan stays one compare per logit.
    if ((best < 0 || logits[i] > best_value) &&
        std::find(banned.begin(), banned.end(), static_cast<int32_t>(i)) == banned.end()) {
      best = static_cast<int32_t>(i);
      best_value = logits[i];
    }
  }
  return best;
}

std::vector<std::pair<int32_t, float>> top_logits(std::span<const float> logits, size_t k) {
  std::vector<std::pair<int32_t, float>> all;
  all.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    all.emplace_back(static_cast<int32_t>(i), logits[i]);
  }
  k = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                    [](const auto& a, const auto& b) {
                      return a.second > b.second || (a.second == b.second && a.first < b.first);
                    });
  all.resize(k);
  return all;
}

Status check_cancel(const GenerationConfig& gen, const char* where, int32_t step) {
  if (gen.cancel == nullptr || !gen.cancel->load()) {
    return Status();
  }
  return errorf(StatusCode::kCancelled, "generation cancelled %s (decode step %d)", where, step);
}

Result<MultiRun> generate_multi(const CpuModel& model,
                                std::span<const int32_t> prompt,
                                const std::vector<CompressionConfig>& configs,
                                const std::vector<std::vector<int32_t>>& head_caps,
                                const GenerationConfig& gen,
                                const TokenCallback& on_token) {
  if (configs.empty() || head_caps.size() != configs.size()) {
    return errorf(StatusCode::kInvalidArgument, "generate: %zu configs with %zu capacity tables",
                  configs.size(), head_caps.size());
  }
  if (gen.max_new_tokens < 1) {
    return errorf(StatusCode::kInvalidArgument, "max_new_tokens = %d, expected >= 1",
                  gen.max_new_tokens);
  }
  int32_t window = 1;
  for (const CompressionConfig& cc : configs) {
    HKV_RETURN_IF_ERROR(cc.validate().with_context("config '%s'", cc.label().c_str()));
    window = std::max(window, cc.window);
  }
  MultiRun result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  HKV_RETURN_IF_ERROR(check_cancel(gen, "before the prefill", 0));
  auto t0 = std::chrono::steady_clock::now();
  HKV_ASSIGN_OR_RETURN(PrefillOutput prefill, model.prefill(prompt, window, false));
  result.prefill_ms = ms_since(t0);

  if (gen.trace != nullptr) {
    gen.trace->assign(configs.size(), ConfigTrace());
  }
  // Every config's cache from the shared prefill, the configs on the pool's threads (each build
  // reads the prefill and writes only its own cache, record and trace).
  // A tensor-parallel shard builds them one after the other: Ada-SnapKV's gathers must come in
  // the same order on every rank.
  std::vector<Result<HeadKvCache>> built(configs.size(), Result<HeadKvCache>(HeadKvCache{}));
  std::vector<double> compress_ms(configs.size(), 0.0);
  auto build = [&](int64_t c0, int64_t c1) {
    for (int64_t i = c0; i < c1; ++i) {
      auto tc = std::chrono::steady_clock::now();
      CompressionOptions options{
          .fp16_scores = gen.fp16_scores, .tp = model.tp(), .reserve_rows = gen.max_new_tokens};
      options.kept = gen.trace != nullptr ? &(*gen.trace)[i].kept : nullptr;
      built[i] = build_cache(prefill, model.config(), configs[i], head_caps[i], options);
      compress_ms[i] = ms_since(tc);
    }
  };
  const auto count = static_cast<int64_t>(configs.size());
  if (model.tp() != nullptr) {
    build(0, count);
  } else {
    parallel_for(count, 1, build);
  }
  std::vector<HeadKvCache> caches;
  for (size_t i = 0; i < configs.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(HeadKvCache cache, std::move(built[i]));
    ConfigRun run;
    run.config = configs[i];
    run.compress_ms = compress_ms[i];
    for (const HeadKvLayer& layer : cache.layers) {
      auto [lo, hi] = std::minmax_element(layer.lens().begin(), layer.lens().end());
      run.layers.push_back({layer.entries(), *lo, *hi});
      run.cache_entries += layer.entries();
    }
    result.runs.push_back(std::move(run));
    caches.push_back(std::move(cache));
  }
  std::vector<int32_t> no_ban;
  const std::vector<int32_t>& first_ban = gen.min_new_tokens > 0 ? gen.stop_ids : no_ban;
  int32_t first = greedy_token(prefill.last_logits, first_ban);
  prefill = PrefillOutput();  // the full K/V is no longer needed: free it before decoding

  auto is_stop = [&](int32_t t) {
    return std::find(gen.stop_ids.begin(), gen.stop_ids.end(), t) != gen.stop_ids.end();
  };
  for (size_t i = 0; i < result.runs.size(); ++i) {
    result.runs[i].tokens.push_back(first);
    result.runs[i].stopped = is_stop(first);
    if (on_token) {
      on_token(i, first);
    }
  }
  auto td = std::chrono::steady_clock::now();
  std::vector<float> logits;
  for (int32_t step = 1; step < gen.max_new_tokens; ++step) {
    HKV_RETURN_IF_ERROR(check_cancel(gen, "between decode steps", step));
    std::vector<size_t> active;
    std::vector<int32_t> tokens;
    std::vector<int64_t> positions;
    std::vector<HeadKvCache*> batch;
    for (size_t i = 0; i < result.runs.size(); ++i) {
      if (result.runs[i].stopped) {
        continue;
      }
      active.push_back(i);
      tokens.push_back(result.runs[i].tokens.back());
      positions.push_back(result.prompt_tokens + step - 1);
      batch.push_back(&caches[i]);
    }
    if (active.empty()) {
      break;
    }
    HKV_RETURN_IF_ERROR(model.decode(tokens, positions, batch, &logits));
    ++result.decode_steps;
    const std::vector<int32_t>& ban = step < gen.min_new_tokens ? gen.stop_ids : no_ban;
    for (size_t a = 0; a < active.size(); ++a) {
      std::span<const float> row(&logits[a * model.config().vocab_size], model.config().vocab_size);
      if (gen.trace != nullptr && step == 1) {
        (*gen.trace)[active[a]].first_decode_top10 = top_logits(row, 10);
      }
      int32_t next = greedy_token(row, ban);
      ConfigRun& run = result.runs[active[a]];
      run.tokens.push_back(next);
      run.stopped = is_stop(next);
      if (on_token) {
        on_token(active[a], next);
      }
    }
  }
  result.decode_ms = ms_since(td);
  return result;
}

}  // namespace hkv::model
