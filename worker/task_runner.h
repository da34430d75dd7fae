// One unit of work on the engine: build the (model, dataset, sample) prompt with jobs/, prefill it
// once, decode every compression config of the task together, and score each prediction with the
// benchmark's reference metric. A heads unit runs one head-detection test instead (one greedy
// decode over the full cache, every head's attention scored). Models, tokenizers, datasets and
// haystacks are cached across tasks, so a worker pays for them once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
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
  // run_batch: the most prompt tokens of one decode batch (one sample always fits, however long).
  int64_t batch_prompt_tokens = 16384;
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

  // Several tasks, one outcome each, in order. On an engine that decodes samples together (the
  // GPU), consecutive tasks of one model with the same stop rules and max_new_tokens share one
  // decode batch of at most options.batch_prompt_tokens prompt tokens; each run's decode_ms is
  // then its share of the batch's decode (the decode time / the samples in the batch). A batch
  // that fails (other than by cancellation) is run again one task at a time, so one bad task
  // fails alone. Heads tasks run as run() runs them; the CPU engine runs a group's samples one
  // after the other (same results as run()).
  // Requests prepared by prepare_ahead go straight to the engine.
  std::vector<Result<RunOutcome>> run_batch(const std::vector<RunRequest>& requests);

  // The CPU side of run_batch for `requests` (samples, prompt ids, per-head capacities), done now
  // so that a later run_batch of the same requests starts on the engine at once. Meant for a
  // second thread while run_batch runs the previous lease: the two share each model's tokenizer
  // and data caches under that model's lock. Requests whose model is not loaded yet, heads and
  // traced requests, and those that fail to prepare are left to run_batch (which reports the
  // error). Preparations not taken by run_batch are dropped after the next call's.
  void prepare_ahead(const std::vector<RunRequest>& requests);

  // Where the runner's time went since construction, in seconds: preparing prompts on the
  // engine's path (run, run_batch) and ahead of it (prepare_ahead), on the engine (heads tasks
  // whole), and decoding and scoring the predictions.
  struct PhaseTimes {
    double prepare_s = 0.0;
    double ahead_s = 0.0;
    double engine_s = 0.0;
    double score_s = 0.0;
    int64_t tasks_ahead = 0;  // tasks that reached the engine with their prompts prepared ahead
  };

  PhaseTimes phase_times() const;

  // Prefill count since construction: one per run, whatever the number of configs.
  int64_t prefills() const { return prefills_; }

 private:
  struct LoadedModel;

  // A task's prompt and generation settings, built before the engine runs it.
  struct Prepared {
    RunOutcome out;  // sample filled; run and configs once generated and scored
    model::GenerationConfig gen;
    std::vector<std::vector<int32_t>> caps;  // per config: per-head capacities (or empty)
  };

  // A preparation made by prepare_ahead, for the task `request` names (its cancel flag and trace
  // are not kept).
  struct Staged {
    uint64_t generation = 0;  // the prepare_ahead call that made it
    RunRequest request;
    Prepared prepared;
  };

  using Clock = std::chrono::steady_clock;

  // Loads (once per model and dtype) the engine; under tensor parallelism the heads are placed
  // for `configs`. Only the thread that runs the engine loads.
  Result<LoadedModel*> model(const std::string& path,
                             const std::string& dtype,
                             const std::vector<model::CompressionConfig>& configs);
  // The model of `path` and `dtype` if it is loaded already, else null (any thread).
  LoadedModel* loaded(const std::string& path, const std::string& dtype);
  LoadedModel* loaded(const std::string& key);  // by "path|dtype"
  Result<Prepared> prepare(LoadedModel& m, const RunRequest& request);
  // Decodes and scores out->run into out->configs.
  Status score(LoadedModel& m, const RunRequest& request, RunOutcome* out);
  // prepare() plus the tokenizer's deferred encode error, with the task named, under the model's
  // lock.
  Result<Prepared> prepare_checked(LoadedModel& m, const RunRequest& request);
  // prepare_ahead's preparation of `request`, taken out of the store, or nullopt.
  std::optional<Prepared> take_staged(const RunRequest& request);
  // One prepared task on the engine alone (Engine::generate), then finish().
  void run_one(LoadedModel& m, const RunRequest& request, Prepared& p, Result<RunOutcome>& result);
  // Adds the time since `start` to one field of the phase times.
  void add_time(double PhaseTimes::*field, Clock::time_point start);
  // Counts the prefill, scores `run` into `p.out` and stores the outcome (or the scoring error).
  void finish(LoadedModel& m,
              const RunRequest& request,
              model::MultiRun run,
              Prepared& p,
              Result<RunOutcome>& result);
  // Runs `group` (indices into `requests`, all prepared, one model) as one engine batch.
  void run_group(LoadedModel& m,
                 const std::vector<RunRequest>& requests,
                 const std::vector<size_t>& group,
                 std::vector<std::optional<Prepared>>& prepared,
                 std::vector<Result<RunOutcome>>& results);
  Result<jobs::Sample> build_sample(LoadedModel& m, const RunRequest& request);
  Result<RunOutcome> run_heads(LoadedModel& m, const RunRequest& request);

  RunnerOptions options_;
  std::mutex models_mu_;                                        // guards the map, not the models
  std::map<std::string, std::unique_ptr<LoadedModel>> models_;  // by "path|dtype"
  int64_t prefills_ = 0;
  std::mutex staged_mu_;
  std::vector<Staged> staged_;
  uint64_t ahead_calls_ = 0;
  mutable std::mutex phases_mu_;
  PhaseTimes phases_;
};

}  // namespace hkv::worker
