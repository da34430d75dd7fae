// TaskRunner::run_batch: several tasks' samples decoded together on an engine that batches
// samples (the GPU), so short tasks stop paying one decode loop each. The CPU engine takes the
// same path and runs the group's samples one after the other. TaskRunner::prepare_ahead builds a
// lease's prompts on another thread while the engine runs the previous one.
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

// Whether two requests are the same task (what prepare() reads from them; not the cancel flag).
bool same_task(const RunRequest& a, const RunRequest& b) {
  return a.model == b.model && a.dtype == b.dtype && a.unit == b.unit &&
         a.max_new_tokens == b.max_new_tokens && a.configs == b.configs;
}

}  // namespace

Result<TaskRunner::Prepared> TaskRunner::prepare_checked(LoadedModel& m, const RunRequest& r) {
  std::lock_guard<std::mutex> lock(m.cpu_mu);
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
    models[i] = *m;
    prepared[i] = take_staged(r);
    if (prepared[i]) {
      continue;
    }
    const Clock::time_point start = Clock::now();
    Result<Prepared> p = prepare_checked(**m, r);
    add_time(&PhaseTimes::prepare_s, start);
    if (!p.ok()) {
      results[i] = p.status();
      continue;
    }
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
  const Clock::time_point start = Clock::now();
  Result<std::vector<model::MultiRun>> runs = m.engine->generate_batch(samples);
  add_time(&PhaseTimes::engine_s, start);
  const bool cancelled = !runs.ok() && runs.status().code() == StatusCode::kCancelled;
  if (!runs.ok() && group.size() > 1 && !cancelled) {
    // One at a time, so only the task at fault fails (or the batch did not fit in memory).
    for (size_t k : group) {
      run_one(m, requests[k], *prepared[k], results[k]);
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

void TaskRunner::run_one(LoadedModel& m,
                         const RunRequest& request,
                         Prepared& p,
                         Result<RunOutcome>& result) {
  const Clock::time_point start = Clock::now();
  Result<model::MultiRun> run =
      m.engine->generate(p.out.sample.prompt_ids, request.configs, p.caps, p.gen);
  add_time(&PhaseTimes::engine_s, start);
  if (!run.ok()) {
    result = run.status();
    return;
  }
  finish(m, request, *std::move(run), p, result);
}

void TaskRunner::finish(LoadedModel& m,
                        const RunRequest& request,
                        model::MultiRun run,
                        Prepared& p,
                        Result<RunOutcome>& result) {
  const Clock::time_point start = Clock::now();
  ++prefills_;
  p.out.run = std::move(run);
  Status st;
  {
    std::lock_guard<std::mutex> lock(m.cpu_mu);
    st = score(m, request, &p.out);
  }
  result = st.ok() ? Result<RunOutcome>(std::move(p.out)) : Result<RunOutcome>(st);
  add_time(&PhaseTimes::score_s, start);
}

void TaskRunner::prepare_ahead(const std::vector<RunRequest>& requests) {
  const Clock::time_point start = Clock::now();
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(staged_mu_);
    generation = ++ahead_calls_;
    // What the previous call made may still be taken by the run now on the engine; older ones
    // belong to tasks that never ran here (cancelled).
    std::erase_if(staged_, [&](const Staged& s) { return s.generation + 1 < generation; });
  }
  for (const RunRequest& r : requests) {
    LoadedModel* m = loaded(r.model, r.dtype);
    if (m == nullptr || r.unit.benchmark == jobs::Benchmark::kHeads || r.trace != nullptr) {
      continue;
    }
    Result<Prepared> p = prepare_checked(*m, r);
    if (!p.ok()) {
      continue;  // run_batch prepares it again and reports why it fails
    }
    Staged s{generation, r, *std::move(p)};
    s.request.cancel = nullptr;
    std::lock_guard<std::mutex> lock(staged_mu_);
    staged_.push_back(std::move(s));
  }
  add_time(&PhaseTimes::ahead_s, start);
}

std::optional<TaskRunner::Prepared> TaskRunner::take_staged(const RunRequest& r) {
  if (r.trace != nullptr) {
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(staged_mu_);
  auto it = std::find_if(staged_.begin(), staged_.end(),
                         [&](const Staged& s) { return same_task(s.request, r); });
  if (it == staged_.end()) {
    return std::nullopt;
  }
  Prepared p = std::move(it->prepared);
  staged_.erase(it);
  p.gen.cancel = r.cancel;
  std::lock_guard<std::mutex> phases(phases_mu_);
  ++phases_.tasks_ahead;
  return p;
}

void TaskRunner::add_time(double PhaseTimes::*field, Clock::time_point start) {
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::lock_guard<std::mutex> lock(phases_mu_);
  phases_.*field += s;
}

TaskRunner::PhaseTimes TaskRunner::phase_times() const {
  std::lock_guard<std::mutex> lock(phases_mu_);
  return phases_;
}

}  // namespace hkv::worker
