// Sample building per benchmark, shared-prefill generation and reference scoring.
#include "worker/task_runner.h"

#include <cstdio>
#include <cstdlib>

#include "benchmarks/babilong.h"
#include "benchmarks/benchmark_scoring.h"
#include "benchmarks/longbench.h"
#include "common/paths.h"
#include "common/strings.h"
#include "metrics/metrics.h"
#include "tokenizer/model_files.h"
#include "worker/head_caps.h"
#include "worker/head_detect.h"
#include "worker/loaded_model.h"
#include "worker/tokenizer_adapter.h"
#include "worker/tp_placement.h"

namespace hkv::worker {
namespace {

// Splits "a:b" sample keys (needle "length:depth", BABILong "split:index").
Result<std::pair<std::string, std::string>> split_key(const std::string& key) {
  size_t colon = key.find(':');
  if (colon == std::string::npos) {
    return errorf(StatusCode::kInvalidArgument, "sample key '%s' is not 'a:b'", key.c_str());
  }
  return std::make_pair(key.substr(0, colon), key.substr(colon + 1));
}

Result<int64_t> to_int(const std::string& s, const char* what) {
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0) {
    return errorf(StatusCode::kInvalidArgument, "%s '%s' is not a non-negative integer", what,
                  s.c_str());
  }
  return static_cast<int64_t>(v);
}

}  // namespace

TaskRunner::TaskRunner(RunnerOptions options) : options_(std::move(options)) {
  if (options_.haystack_dir.empty()) {
    options_.haystack_dir = default_haystack_dir(options_.data_dir);
  }
}

TaskRunner::~TaskRunner() = default;

namespace {

// The engine options a request's model runs with, and the key it is loaded under: one engine per
// (model, dtype), so a sweep's dtype never silently reuses another's weights.
struct ModelKey {
  std::string path;  // "~/" expanded
  model::EngineOptions engine;
  std::string key;  // "path|dtype"
};

ModelKey model_key(const model::EngineOptions& base,
                   const std::string& raw_path,
                   const std::string& dtype) {
  const char* home = std::getenv("HOME");
  ModelKey k{home != nullptr ? jobs::expand_home(raw_path, home) : raw_path, base, ""};
  if (!dtype.empty()) {
    k.engine.dtype = dtype;
  }
  k.key = k.path + "|" + k.engine.dtype;
  return k;
}

}  // namespace

TaskRunner::LoadedModel* TaskRunner::loaded(const std::string& key) {
  std::lock_guard<std::mutex> lock(models_mu_);
  auto it = models_.find(key);
  return it != models_.end() ? it->second.get() : nullptr;
}

TaskRunner::LoadedModel* TaskRunner::loaded(const std::string& raw_path, const std::string& dtype) {
  return loaded(model_key(options_.engine, raw_path, dtype).key);
}

Result<TaskRunner::LoadedModel*> TaskRunner::model(
    const std::string& raw_path,
    const std::string& dtype,
    const std::vector<model::CompressionConfig>& configs) {
  ModelKey k = model_key(options_.engine, raw_path, dtype);
  if (LoadedModel* m = loaded(k.key)) {
    return m;
  }
  const std::string& path = k.path;
  model::EngineOptions& engine = k.engine;
  auto m = std::make_unique<LoadedModel>();
  m->path = path;
  HKV_ASSIGN_OR_RETURN(model::ModelSource source, model::ModelSource::open(path));
  if (engine.tp > 1) {
    // Heads placed for the first configs this model runs (a sweep's configs are the same for
    // all its tasks), at load time: nothing moves at run time.
    HKV_ASSIGN_OR_RETURN(auto caps, resolve_head_caps(source.config(), path, configs));
    HKV_ASSIGN_OR_RETURN(TpPlan plan, plan_tensor_parallel(source.config(), engine.tp, caps));
    engine.head_order = plan.balanced ? plan.order : std::vector<std::vector<int32_t>>();
    std::fprintf(stderr, "headkv: %s: %s\n", path.c_str(), plan.summary().c_str());
  }
  HKV_ASSIGN_OR_RETURN(m->engine, model::load_engine(source, engine));
  HKV_ASSIGN_OR_RETURN(model::Tokenizer tok, model::load_tokenizer(path));
  m->tokenizer = std::make_unique<model::Tokenizer>(std::move(tok));
  m->adapter = std::make_unique<TokenizerAdapter>(m->tokenizer.get());
  HKV_ASSIGN_OR_RETURN(m->chat, model::chat_family_for(*m->tokenizer, path, std::nullopt));
  HKV_ASSIGN_OR_RETURN(m->period_ids, jobs::derive_period_ids(*m->adapter));
  LoadedModel* raw = m.get();
  std::lock_guard<std::mutex> lock(models_mu_);
  models_[k.key] = std::move(m);
  return raw;
}

Result<jobs::Sample> TaskRunner::build_sample(LoadedModel& m, const RunRequest& r) {
  const model::LlamaConfig& cfg = m.engine->config();
  // Input budget: the reference's per-model M when the path matches one, else what fits.
  auto reference_m = jobs::max_input_tokens_for_model(m.path, jobs::reference_max_input_rules());
  int32_t max_input =
      reference_m.ok()
          ? *reference_m
          : static_cast<int32_t>(std::max<int64_t>(512, cfg.max_position_embeddings - 512));
  jobs::ChatRenderFn render = [&m](const std::string& text) {
    return model::render_user_prompt(*m.tokenizer, m.chat, text);
  };
  const jobs::WorkUnit& u = r.unit;
  switch (u.benchmark) {
    case jobs::Benchmark::kLongBench: {
      HKV_ASSIGN_OR_RETURN(int64_t index, to_int(u.sample_key, "LongBench sample index"));
      HKV_ASSIGN_OR_RETURN(jobs::LongBenchTask task, jobs::find_longbench_task(u.dataset));
      HKV_ASSIGN_OR_RETURN(
          std::string file,
          find_data_file(jobs::longbench_jsonl_path("longbench", u.dataset), options_.data_dir));
      auto& records = m.longbench[file];
      if (records.empty()) {
        HKV_ASSIGN_OR_RETURN(records, jobs::read_longbench_jsonl(file));
      }
      if (index >= static_cast<int64_t>(records.size())) {
        return errorf(StatusCode::kOutOfRange, "%s has %zu samples, no index %lld", file.c_str(),
                      records.size(), static_cast<long long>(index));
      }
      jobs::LongBenchOptions opts;
      opts.max_input_tokens = max_input;
      opts.wrap_inst = jobs::reference_wraps_inst(m.path);
      return jobs::build_longbench_sample(task, records[index], static_cast<size_t>(index),
                                          *m.adapter, opts);
    }
    case jobs::Benchmark::kBabilong: {
      HKV_ASSIGN_OR_RETURN(auto key, split_key(u.sample_key));
      HKV_ASSIGN_OR_RETURN(int64_t index, to_int(key.second, "BABILong sample index"));
      HKV_ASSIGN_OR_RETURN(std::string file, find_data_file(jobs::babilong_jsonl_path(
                                                                "babilong", key.first, u.dataset),
                                                            options_.data_dir));
      auto& records = m.babilong[file];
      if (records.empty()) {
        HKV_ASSIGN_OR_RETURN(records, jobs::read_babilong_jsonl(file));
      }
      if (index >= static_cast<int64_t>(records.size())) {
        return errorf(StatusCode::kOutOfRange, "%s has %zu samples, no index %lld", file.c_str(),
                      records.size(), static_cast<long long>(index));
      }
      jobs::BabilongOptions opts{max_input, render};
      return jobs::build_babilong_sample(u.dataset, key.first, records[index],
                                         static_cast<size_t>(index), *m.adapter, opts);
    }
    case jobs::Benchmark::kHeads:
      return errorf(StatusCode::kInternal, "heads units build their prompts in run_heads");
    case jobs::Benchmark::kNeedle: {
      HKV_ASSIGN_OR_RETURN(auto key, split_key(u.sample_key));
      HKV_ASSIGN_OR_RETURN(int64_t length, to_int(key.first, "needle length"));
      HKV_ASSIGN_OR_RETURN(int64_t depth, to_int(key.second, "needle depth"));
      if (!m.haystack || m.haystack_tokens < length) {
        HKV_ASSIGN_OR_RETURN(jobs::Haystack h,
                             jobs::build_haystack(options_.haystack_dir, *m.adapter, length,
                                                  jobs::NeedleBosMode::kNoStrayBos));
        m.haystack = std::make_shared<jobs::Haystack>(std::move(h));
        m.haystack_tokens = length;
      }
      jobs::NeedleOptions opts;
      opts.period_ids = m.period_ids;
      HKV_ASSIGN_OR_RETURN(jobs::Sample sample, jobs::build_needle_sample(
                                                    *m.haystack, static_cast<int32_t>(length),
                                                    static_cast<int32_t>(depth), *m.adapter, opts));
      if (m.chat == model::ChatFamily::kChatMl) {
        // Documented deviation: the reference prompt has no chat template (it targets Llama-3 and
        // Mistral); a ChatML model answers it with an immediate newline. As the reference does for
        // Qwen in head detection, ChatML models get the prompt as one user turn (without the
        // leading literal "<|im_start|> ", which is ChatML's own marker).
        std::string text = sample.prompt;
        constexpr std::string_view kMarker = "<|im_start|> ";
        if (text.rfind(kMarker, 0) == 0) {
          text = text.substr(kMarker.size());
        }
        HKV_ASSIGN_OR_RETURN(sample.prompt, model::render_user_prompt(*m.tokenizer, m.chat, text));
        sample.prompt_ids = m.tokenizer->encode(sample.prompt, false);
        sample.metadata["chat_template"] = "chatml";
      }
      return sample;
    }
  }
  return errorf(StatusCode::kInvalidArgument, "unknown benchmark");
}

Result<RunOutcome> TaskRunner::run_heads(LoadedModel& m, const RunRequest& r) {
  const std::string where = "heads task " + r.unit.dataset + " " + r.unit.sample_key;
  if (r.configs.size() != 1 || r.configs[0].method != compression::Method::kFullKv) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: expected exactly one FullKV config (detection observes the full cache), "
                  "got %zu config(s)",
                  where.c_str(), r.configs.size());
  }
  HKV_ASSIGN_OR_RETURN(jobs::HeadsUnitOptions ho,
                       jobs::heads_options_from_json(r.unit.options, where + " options"));
  HKV_ASSIGN_OR_RETURN(jobs::HeadsTestKey key, jobs::parse_heads_test_key(r.unit.sample_key));
  DetectOptions d;
  HKV_ASSIGN_OR_RETURN(d.kind, parse_detection_kind(r.unit.dataset));
  d.success = detection_success_score(d.kind);
  HKV_ASSIGN_OR_RETURN(d.haystack_dir, jobs::heads_haystack_dir(ho.haystack_root, options_.data_dir,
                                                                r.unit.dataset));
  d.max_decode_steps = ho.max_decode_steps;
  d.reasoning_steps = ho.reasoning_steps;
  d.min_score = ho.min_score;
  d.cancel = r.cancel;
  set_detection_prompting(&d, m.tokenizer.get(), m.chat, m.period_ids);
  auto& needles = m.detect_needles[d.haystack_dir];
  if (needles.empty()) {
    HKV_ASSIGN_OR_RETURN(needles, read_detect_needles(d.haystack_dir));
  }
  if (static_cast<int32_t>(needles.size()) != ho.needles || key.needle >= ho.needles) {
    return errorf(StatusCode::kFailedPrecondition,
                  "%s: %s/needles.jsonl holds %zu needles; the sweep expects %d (the heads "
                  "block's `needles`) and asks for needle %d",
                  where.c_str(), d.haystack_dir.c_str(), needles.size(), ho.needles, key.needle);
  }
  std::string cache_key =
      strformat("%s#%d#%d", d.haystack_dir.c_str(), key.needle, ho.haystack_words);
  auto& haystack = m.detect_haystacks[cache_key];
  if (haystack.empty()) {
    HKV_ASSIGN_OR_RETURN(
        haystack,
        detect_haystack_ids(*m.tokenizer, d, static_cast<size_t>(key.needle), ho.haystack_words));
  }
  if (!m.observed) {
    m.observed = m.engine->observed_decoder();
  }
  HKV_ASSIGN_OR_RETURN(DetectTestResult t,
                       run_detect_test(*m.observed, *m.tokenizer, d, needles[key.needle], haystack,
                                       key.length, key.depth));
  ++prefills_;
  const model::LlamaConfig& cfg = m.engine->config();
  RunOutcome out;
  out.sample.id = "heads/" + r.unit.dataset + "/" + r.unit.sample_key;
  const bool r2 = d.kind == head_scores::DetectionKind::kRetrievalReasoning;
  out.sample.references = {r2 ? needles[key.needle].answer : needles[key.needle].real_needle};
  out.run.prompt_tokens = t.prompt_tokens;
  out.run.prefill_ms = t.prefill_ms;
  out.run.decode_ms = t.decode_ms;
  out.run.decode_steps = t.new_tokens;
  ConfigOutcome c;
  c.prediction = t.response;
  c.score = t.score;
  c.new_tokens = t.new_tokens;
  // FullKV: every position of every KV head (the prompt minus its last token, then each step).
  c.cache_entries = (t.prompt_tokens - 1 + t.new_tokens) * cfg.num_layers * cfg.num_kv_heads;
  c.cache_bytes = c.cache_entries * cfg.head_dim * 2 * 2;
  c.head_scores = jobs::HeadTestScores{cfg.num_layers, cfg.num_q_heads, std::move(t.scores),
                                       t.span_found, t.kept};
  out.configs.push_back(std::move(c));
  return out;
}

Result<RunOutcome> TaskRunner::run(const RunRequest& r) {
  HKV_ASSIGN_OR_RETURN(LoadedModel * m, model(r.model, r.dtype, r.configs));
  if (r.unit.benchmark == jobs::Benchmark::kHeads) {
    const Clock::time_point start = Clock::now();
    std::lock_guard<std::mutex> lock(m->cpu_mu);
    (void)m->adapter->take_error();  // one left by an earlier task belongs to that task
    Result<RunOutcome> out = run_heads(*m, r);
    add_time(&PhaseTimes::engine_s, start);
    Status tokenizer = m->adapter->take_error();
    if (!tokenizer.ok()) {
      return tokenizer.with_context("task %s/%s", r.unit.dataset.c_str(),
                                    r.unit.sample_key.c_str());
    }
    return out;
  }
  std::optional<Prepared> p = take_staged(r);
  if (!p) {
    const Clock::time_point start = Clock::now();
    HKV_ASSIGN_OR_RETURN(p, prepare_checked(*m, r));
    add_time(&PhaseTimes::prepare_s, start);
  }
  Result<RunOutcome> out(errorf(StatusCode::kInternal, "task not run"));
  run_one(*m, r, *p, out);
  return out;
}

Result<TaskRunner::Prepared> TaskRunner::prepare(LoadedModel& m, const RunRequest& r) {
  for (const compression::CompressionConfig& c : r.configs) {
    HKV_RETURN_IF_ERROR(c.validate().with_context("config '%s'", c.label().c_str()));
  }
  Prepared p;
  HKV_ASSIGN_OR_RETURN(p.caps, resolve_head_caps(m.engine->config(), m.path, r.configs));
  HKV_ASSIGN_OR_RETURN(p.out.sample, build_sample(m, r));
  p.gen.max_new_tokens = r.max_new_tokens > 0 ? r.max_new_tokens : p.out.sample.max_new_tokens;
  p.gen.min_new_tokens = p.out.sample.min_new_tokens;
  p.gen.stop_ids = p.out.sample.stop_ids;
  p.gen.fp16_scores = options_.fp16_scores;
  p.gen.cancel = r.cancel;
  p.gen.trace = r.trace;
  return p;
}

Status TaskRunner::score(LoadedModel& loaded, const RunRequest& r, RunOutcome* outcome) {
  LoadedModel* m = &loaded;
  RunOutcome& out = *outcome;
  const int64_t head_dim = m->engine->config().head_dim;
  for (const model::ConfigRun& run : out.run.runs) {
    ConfigOutcome c;
    HKV_ASSIGN_OR_RETURN(c.prediction,
                         m->tokenizer->decode(run.tokens, /*skip_special_tokens=*/true));
    c.cache_entries = run.cache_entries;
    c.cache_bytes = run.cache_entries * head_dim * 2 * 2;
    c.new_tokens = static_cast<int32_t>(run.tokens.size());
    switch (r.unit.benchmark) {
      case jobs::Benchmark::kLongBench: {
        std::vector<std::string> classes;
        const Json& all = out.sample.metadata.contains("all_classes")
                              ? out.sample.metadata["all_classes"]
                              : Json();
        if (all.is_array()) {
          for (const Json& x : all) {
            if (x.is_string()) {
              classes.push_back(x.get<std::string>());
            }
          }
        }
        HKV_ASSIGN_OR_RETURN(c.score,
                             jobs::score_longbench_prediction(r.unit.dataset, c.prediction,
                                                              out.sample.references, classes));
        break;
      }
      case jobs::Benchmark::kNeedle:
        c.prediction = std::string(trim(c.prediction));
        c.score = jobs::needle_runner_score(out.sample.references.at(0), c.prediction);
        break;
      case jobs::Benchmark::kHeads:
        return errorf(StatusCode::kInternal, "heads units are scored in run_heads");
      case jobs::Benchmark::kBabilong: {
        HKV_ASSIGN_OR_RETURN(std::vector<std::string> labels,
                             jobs::babilong_task_labels(r.unit.dataset));
        std::string question = out.sample.metadata.value("input", std::string());
        c.score = jobs::babilong_compare_answers(out.sample.references.at(0), c.prediction,
                                                 question, labels)
                      ? 1.0
                      : 0.0;
        break;
      }
    }
    out.configs.push_back(std::move(c));
  }
  return Status();
}

}  // namespace hkv::worker
