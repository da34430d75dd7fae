// The GPU generation loop. Sequences that stopped (or reached their sample's max_new_tokens) keep
// decoding with the batch, their tokens discarded: a step costs the same either way, and the batch
// maps and the captured decode graph stay fixed. With GpuEngineOptions::decode_ahead the next
// step is enqueued before the host reads this step's tokens, so the GPU never waits on the host.
#include "gpu_engine/gpu_generate.h"

#include <algorithm>
#include <chrono>

#include "common/timing.h"
#include "kernels/cuda_utils.h"

namespace hkv::model {

Result<std::vector<MultiRun>> generate_samples_gpu(GpuModel& model,
                                                   const std::vector<GpuSampleRequest>& samples,
                                                   const TokenCallback& on_token,
                                                   GpuTrace* trace) {
  if (samples.empty()) {
    return errorf(StatusCode::kInvalidArgument, "generate_samples_gpu: no samples");
  }
  for (const GpuSampleRequest& s : samples) {
    if (s.gen.trace != nullptr) {
      return errorf(StatusCode::kUnimplemented,
                    "the per-config trace (--trace) is recorded by the CPU engine only; run with "
                    "--device cpu");
    }
  }
  const GenerationConfig& gen0 = samples[0].gen;
  int32_t max_new = 0;
  for (size_t k = 0; k < samples.size(); ++k) {
    const GpuSampleRequest& r = samples[k];
    if (r.configs == nullptr || r.head_caps == nullptr || r.gen.max_new_tokens < 1) {
      return errorf(StatusCode::kInvalidArgument,
                    "sample %zu: configs, head_caps and max_new_tokens >= 1 are required", k);
    }
    if (r.gen.stop_ids != gen0.stop_ids || r.gen.min_new_tokens != gen0.min_new_tokens ||
        r.gen.fp16_scores != gen0.fp16_scores) {
      return errorf(StatusCode::kInvalidArgument,
                    "sample %zu: stop ids / min_new_tokens differ from sample 0's; samples of one "
                    "GPU batch must share them",
                    k);
    }
    max_new = std::max(max_new, r.gen.max_new_tokens);
  }
  std::vector<MultiRun> results(samples.size());
  std::vector<GpuBatch> parts;
  std::vector<std::vector<float>> first_logits;
  for (size_t k = 0; k < samples.size(); ++k) {
    const GpuSampleRequest& r = samples[k];
    GpuPrefillOptions po;
    // Every sequence decodes until the longest sample is done (its extra tokens are dropped), so
    // every segment needs the room of the longest.
    po.reserve_rows = max_new;
    po.fp16_scores = r.gen.fp16_scores;
    std::vector<std::vector<KeptPositions>> kept;
    if (k == 0 && trace != nullptr && trace->keep_positions) {
      po.kept = &kept;
    }
    HKV_RETURN_IF_ERROR(check_cancel(r.gen, "before the prefill", 0));
    HKV_ASSIGN_OR_RETURN(GpuPrefillResult pre,
                         model.prefill(r.prompt, *r.configs, *r.head_caps, po));
    MultiRun& res = results[k];
    res.prompt_tokens = static_cast<int64_t>(r.prompt.size());
    res.prefill_ms = pre.prefill_ms;
    for (size_t i = 0; i < r.configs->size(); ++i) {
      ConfigRun run;
      run.config = (*r.configs)[i];
      run.compress_ms = pre.compress_ms / static_cast<double>(r.configs->size());
      for (int32_t l = 0; l < pre.batch.num_layers(); ++l) {
        LayerCacheStats st;
        pre.batch.layer_stats(static_cast<int32_t>(i), l, &st.entries, &st.min_head, &st.max_head);
        run.layers.push_back(st);
        run.cache_entries += st.entries;
      }
      res.runs.push_back(std::move(run));
    }
    if (k == 0 && trace != nullptr) {
      trace->kept = std::move(kept);
      trace->plan = pre.plan;
      if (trace->keep_logits) {
        trace->logits.push_back(pre.last_logits);
      }
    }
    first_logits.push_back(std::move(pre.last_logits));
    parts.push_back(std::move(pre.batch));
  }
  HKV_ASSIGN_OR_RETURN(GpuBatch batch, GpuBatch::merge(model.config(), std::move(parts)));
  if (trace != nullptr) {
    trace->cache_bytes = batch.cache_bytes();
  }

  // Sequence b = (sample, config); its first token comes from its sample's prefill logits.
  struct Seq {
    size_t sample, config;
  };

  std::vector<Seq> seqs;
  for (size_t k = 0; k < samples.size(); ++k) {
    for (size_t i = 0; i < samples[k].configs->size(); ++i) {
      seqs.push_back({k, i});
    }
  }
  const std::vector<int32_t> no_ban;
  auto is_stop = [&](int32_t t) {
    return std::find(gen0.stop_ids.begin(), gen0.stop_ids.end(), t) != gen0.stop_ids.end();
  };
  auto done = [&](const Seq& q) {
    const ConfigRun& run = results[q.sample].runs[q.config];
    return run.stopped ||
           static_cast<int32_t>(run.tokens.size()) >= samples[q.sample].gen.max_new_tokens;
  };
  auto emit = [&](const Seq& q, int32_t token) {
    ConfigRun& run = results[q.sample].runs[q.config];
    run.tokens.push_back(token);
    run.stopped = is_stop(token);
    if (on_token) {
      on_token(samples.size() == 1 ? q.config : q.sample * 65536 + q.config, token);
    }
  };
  // A sample's configs share its prefill logits, so its first token is picked once (a scan of
  // the vocabulary per sequence cost milliseconds of idle GPU per batch).
  std::vector<int32_t> first_tokens(samples.size());
  for (size_t k = 0; k < samples.size(); ++k) {
    first_tokens[k] =
        greedy_token(first_logits[k], gen0.min_new_tokens > 0 ? gen0.stop_ids : no_ban);
  }
  std::vector<int32_t> tokens(seqs.size());
  for (size_t b = 0; b < seqs.size(); ++b) {
    tokens[b] = first_tokens[seqs[b].sample];
    emit(seqs[b], tokens[b]);
  }
  auto td = std::chrono::steady_clock::now();
  auto all_done = [&] { return std::all_of(seqs.begin(), seqs.end(), done); };
  auto ban_at = [&](int32_t step) -> const std::vector<int32_t>& {
    return step < gen0.min_new_tokens ? gen0.stop_ids : no_ban;
  };
  auto take = [&](const std::vector<int32_t>& next) {
    for (size_t b = 0; b < seqs.size(); ++b) {
      tokens[b] = next[b];
      if (!done(seqs[b])) {
        emit(seqs[b], next[b]);
      }
    }
  };
  std::vector<int64_t> positions(seqs.size());
  for (size_t b = 0; b < seqs.size(); ++b) {
    positions[b] = results[seqs[b].sample].prompt_tokens;  // step 1 feeds the first token
  }
  std::vector<int32_t> next;
  std::vector<float> logits;
  int32_t steps = 0;
  const bool want_logits = trace != nullptr && trace->keep_logits;
  // Tensor-parallel ranks decode step by step: every rank must launch the same steps (their
  // collectives pair up), and rank 0 alone keeps logits.
  const bool ahead = model.options().decode_ahead && model.options().comm == nullptr;
  if (want_logits || !ahead) {
    // The host reads each step's tokens (and logits) before the next step starts.
    for (int32_t step = 1; step < max_new && !all_done(); ++step) {
      HKV_RETURN_IF_ERROR(check_cancel(gen0, "between decode steps", step));
      HKV_RETURN_IF_ERROR(model.decode_step(batch, tokens, positions, ban_at(step), &next,
                                            want_logits ? &logits : nullptr));
      ++steps;
      if (want_logits) {
        trace->logits.emplace_back(logits.begin(), logits.begin() + model.config().vocab_size);
      }
      take(next);
      for (int64_t& p : positions) {
        ++p;
      }
    }
  } else if (max_new > 1 && !all_done()) {
    // Step k + 1 is enqueued before the host reads step k's tokens; when every sequence is done
    // after step k, step k + 1 has run for nothing (within the reserve rows). The slots outlive
    // every copy into them: AheadSlots waits for the stream first, on every way out.
    struct AheadSlots {
      cudaStream_t stream;
      GpuDecodeSlot slot[2];

      ~AheadSlots() { HKV_CUDA_LOG_IF_ERROR(cudaStreamSynchronize(stream)); }
    } ahead{model.stream(), {}};

    for (GpuDecodeSlot& sl : ahead.slot) {
      HKV_ASSIGN_OR_RETURN(sl, GpuDecodeSlot::create(static_cast<int64_t>(seqs.size())));
    }
    HKV_RETURN_IF_ERROR(check_cancel(gen0, "between decode steps", 1));
    HKV_RETURN_IF_ERROR(model.start_decode(batch, tokens, positions));
    HKV_RETURN_IF_ERROR(model.enqueue_decode_step(batch, ban_at(1), &ahead.slot[1]));
    for (int32_t step = 1; step < max_new; ++step) {
      if (step + 1 < max_new) {
        HKV_RETURN_IF_ERROR(check_cancel(gen0, "between decode steps", step + 1));
        HKV_RETURN_IF_ERROR(
            model.enqueue_decode_step(batch, ban_at(step + 1), &ahead.slot[(step + 1) % 2]));
      }
      HKV_RETURN_IF_ERROR(model.finish_decode_step(ahead.slot[step % 2], &next));
      ++steps;
      take(next);
      if (all_done()) {
        break;
      }
    }
  }
  const double decode_ms = ms_since(td);
  for (MultiRun& r : results) {
    r.decode_ms = decode_ms;  // one shared batched decode
    r.decode_steps = steps;
  }
  return results;
}

Result<MultiRun> generate_multi_gpu(GpuModel& model,
                                    std::span<const int32_t> prompt,
                                    const std::vector<CompressionConfig>& configs,
                                    const std::vector<std::vector<int32_t>>& head_caps,
                                    const GenerationConfig& gen,
                                    const TokenCallback& on_token,
                                    GpuTrace* trace) {
  GpuSampleRequest r{prompt, &configs, &head_caps, gen};
  HKV_ASSIGN_OR_RETURN(std::vector<MultiRun> runs,
                       generate_samples_gpu(model, {r}, on_token, trace));
  return std::move(runs[0]);
}

}  // namespace hkv::model
