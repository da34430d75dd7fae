// One unit of work on the engine: build the (model, dataset, sample) prompt with jobs/, prefill it
// once, decode every compression config of the task together, and score each prediction with the
// benchmark's reference metric. A heads unit runs one head-detection test instead (one greedy
// decode over the full cache, every head's attention scored). Models, tokenizers, datasets and
// haystacks are cached across tasks, so a worker pays for them once.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/dataset.h"
#include "benchmarks/needle.h"
#include "common/status.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/generate.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_spec.h"
#include "model/engine.h"
#include "tokenizer/tokenizer.h"

namespace hkv::worker {

struct RunnerOptions {
  // Explicit data root (--data-dir), searched before the rest of the data path (common/paths.h).
  std::string data_dir;
  std::string haystack_dir;  // needle essays (default: pg_essays/ in the data path)
  bool fp16_scores = true;
  model::EngineOptions engine;  // device (cpu | cuda:N | auto) and GPU dtype
};

struct RunRequest {
  std::string model;  // path; "~/" is expanded
  jobs::WorkUnit unit;
  std::vector<compression::CompressionConfig> configs;
  int32_t max_new_tokens = 0;  // 0: the dataset's own
  std::string dtype;           // the sweep's GPU dtype (fp16 | bf16 | fp32); "": options.engine's
  // Set by the worker when the coordinator cancels the task: the run stops between decode steps
  // with Cancelled (may be null).
  const std::atomic<bool>* cancel = nullptr;
  // When set, filled with one ConfigTrace per config (`headkv eval --trace`; CPU engine only).
  std::vector<model::ConfigTrace>* trace = nullptr;
};

struct ConfigOutcome {
  std::string prediction;
  double score = 0.0;  // LongBench example score in [0,1]; needle ROUGE-1 F x 10; BABILong 0/1
  int64_t cache_entries = 0;
  int64_t cache_bytes = 0;  // entries x head_dim x 2 (K, V) x 2 bytes (fp16/bf16)
  int32_t new_tokens = 0;
  std::optional<jobs::HeadTestScores> head_scores;  // heads units only
};

struct RunOutcome {
  jobs::Sample sample;
  model::MultiRun run;
  std::vector<ConfigOutcome> configs;  // in request order
};

class TaskRunner {
 public:
  explicit TaskRunner(RunnerOptions options);
  ~TaskRunner();

  Result<RunOutcome> run(const RunRequest& request);

  // Prefill count since construction: one per run, whatever the number of configs.
  int64_t prefills() const { return prefills_; }

 private:
  struct LoadedModel;
  Result<LoadedModel*> model(const std::string& path, const std::string& dtype);
  Result<jobs::Sample> build_sample(LoadedModel& m, const RunRequest& request);
  Result<RunOutcome> run_heads(LoadedModel& m, const RunRequest& request);
  // run() once the model is loaded; run() then fails the task if the tokenizer could not encode.
  Result<RunOutcome> run_loaded(LoadedModel& m, const RunRequest& request);

  RunnerOptions options_;
  std::map<std::string, std::unique_ptr<LoadedModel>> models_;  // by "path|dtype"
  int64_t prefills_ = 0;
};

}  // namespace hkv::worker
