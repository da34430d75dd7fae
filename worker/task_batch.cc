// TaskRunner::run_batch: several tasks' samples decoded together on an engine that batches
// samples (the GPU), so short tasks stop paying one decode loop each. The CPU engine takes the
// same path and runs the group's samples one after the other.
#include <algorithm>
#include <optional>

#include "worker/loaded_model.h"
#include "worker/task_runner.h"

namespace hkv::worker {
namespace {

// Samples of one engine batch share the step's stop ids and bans, and decode the same number of
// steps (a shorter limit would only waste the batch's steps).
bool same_generation(const model::GenerationConfig& a, const model::GenerationConfig& b) {
  return a.stop_ids == b.stop_ids && a.min_new_tokens == b.min_new_tokens &&
         a.max_new_tokens == b.max_new_tokens && a.fp16_scores == b.fp16_scores &&
         a.trace == nullptr && b.trace == nullptr;
}

}  // namespace

Result<TaskRunner::Prepared> TaskRunner::prepare_checked(LoadedModel& m, const RunRequest& r) {
  (void)m.adapter->take_error();  // one left by an earlier task belongs to that task
  Result<Prepared> p = prepare(m, r);
  Status tokenizer = m.adapter->take_error();
  if (!tokenizer.ok()) {
    return tokenizer.with_context("task %s/%s", r.unit.dataset.c_str(), r.unit.sample_key.c_str());
  }
  return p;
}

std::vector<Result<RunOutcome>> TaskRunner::run_batch(const std::vector<RunRequest>& requests) {
  const size_t n = requests.size();
  std::vector<Result<RunOutcome>> results(
      n, Result<RunOutcome>(errorf(StatusCode::kInternal, "task not run")));
  std::vector<std::optional<Prepared>> prepared(n);
  std::vector<LoadedModel*> models(n, nullptr);
  // Prompts first (CPU work), so the engine then runs the batch back to back.
  for (size_t i = 0; i < n; ++i) {
    const RunRequest& r = requests[i];
    Result<LoadedModel*> m = model(r.model, r.dtype, r.configs);
    if (!m.ok()) {
      results[i] = m.status();
      continue;
    }
    if (r.unit.benchmark == jobs::Benchmark::kHeads || n == 1) {
      results[i] = run(r);
      continue;
    }
    Result<Prepared> p = prepare_checked(**m, r);
    if (!p.ok()) {
      results[i] = p.status();
      continue;
    }
    models[i] = *m;
    prepared[i] = *std::move(p);
  }
  // Runs of consecutive prepared tasks that can share a decode, within the token budget.
  size_t i = 0;
  while (i < n) {
    if (!prepared[i]) {
      ++i;
      continue;
    }
    std::vector<size_t> group{i};
    int64_t tokens = static_cast<int64_t>(prepared[i]->out.sample.prompt_ids.size());
    size_t j = i + 1;
    for (; j < n && prepared[j] && models[j] == models[i] &&
           same_generation(prepared[j]->gen, prepared[i]->gen);
         ++j) {
      const auto more = static_cast<int64_t>(prepared[j]->out.sample.prompt_ids.size());
      if (tokens + more > options_.batch_prompt_tokens) {
        break;
      }
      tokens += more;
      group.push_back(j);
    }
    run_group(*models[i], requests, group, prepared, results);
    i = j;
  }
  return results;
}

void TaskRunner::run_group(LoadedModel& m,
                           const std::vector<RunRequest>& requests,
                           const std::vector<size_t>& group,
                           std::vector<std::optional<Prepared>>& prepared,
                           std::vector<Result<RunOutcome>>& results) {
  std::vector<model::SampleRequest> samples;
  for (size_t k : group) {
    Prepared& p = *prepared[k];
    samples.push_back({p.out.sample.prompt_ids, &requests[k].configs, &p.caps, p.gen});
  }
  Result<std::vector<model::MultiRun>> runs = m.engine->generate_batch(samples);
  const bool cancelled = !runs.ok() && runs.status().code() == StatusCode::kCancelled;
  if (!runs.ok() && group.size() > 1 && !cancelled) {
    // One at a time, so only the task at fault fails (or the batch did not fit in memory).
    for (size_t k : group) {
      Prepared& p = *prepared[k];
      Result<model::MultiRun> run =
          m.engine->generate(p.out.sample.prompt_ids, requests[k].configs, p.caps, p.gen);
      if (!run.ok()) {
        results[k] = run.status();
        continue;
      }
      finish(m, requests[k], *std::move(run), p, results[k]);
    }
    return;
  }
  for (size_t g = 0; g < group.size(); ++g) {
    const size_t k = group[g];
    if (!runs.ok()) {
      results[k] = runs.status();
      continue;
    }
    model::MultiRun run = std::move((*runs)[g]);
    if (m.engine->batches_samples()) {
      run.decode_ms /= static_cast<double>(group.size());  // this task's share
    }
    finish(m, requests[k], std::move(run), *prepared[k], results[k]);
  }
}

void TaskRunner::finish(LoadedModel& m,
                        const RunRequest& request,
                        model::MultiRun run,
                        Prepared& p,
                        Result<RunOutcome>& result) {
  ++prefills_;
  p.out.run = std::move(run);
  Status st = score(m, request, &p.out);
  result = st.ok() ? Result<RunOutcome>(std::move(p.out)) : Result<RunOutcome>(st);
}

}  // namespace hkv::worker
