// Builds a SweepSpec from the flags (so validation and expansion are the sweep's own), then runs
// each work unit through TaskRunner and appends its lines to predictions.jsonl.
#include "cli/eval.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/generate.h"
#include "cli/sweep_check.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "common/strings.h"
#include "jobs/sweep_spec.h"
#include "results/result_tables.h"
#include "tokenizer/model_files.h"
#include "worker/task_runner.h"

namespace hkv::cli {

using results::render_tables;
using results::RenderedTables;
using results::ResultRecord;
using results::write_tables;

namespace {

std::string fnv1a64_hex(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return strformat("%016llx", static_cast<unsigned long long>(h));
}

Result<jobs::SweepSpec> spec_from_flags(const EvalOptions& o) {
  jobs::SweepSpec spec;
  spec.name = "eval";
  spec.model = o.model;
  spec.max_new_tokens = o.max_new_tokens;
  jobs::BenchmarkSpec b;
  HKV_ASSIGN_OR_RETURN(b.benchmark, jobs::parse_benchmark(o.benchmark));
  if (b.benchmark == jobs::Benchmark::kHeads) {
    return errorf(StatusCode::kInvalidArgument,
                  "--benchmark heads: detection runs with `headkv heads detect` or as a sweep "
                  "(`benchmark: heads` in a sweep file), not with eval");
  }
  b.datasets = o.datasets;
  b.limit = o.limit;
  if (b.benchmark == jobs::Benchmark::kBabilong) {
    b.babilong_splits = o.splits;
  }
  if (b.benchmark == jobs::Benchmark::kNeedle) {
    if (o.lengths.size() != 3 || o.lengths[2] <= 0) {
      return errorf(StatusCode::kInvalidArgument, "--lengths wants START,STOP,STEP");
    }
    for (int32_t l = o.lengths[0]; l <= o.lengths[1]; l += o.lengths[2]) {
      b.needle_lengths_tokens.push_back(l);
    }
    b.needle_depths_percent = jobs::needle_depths_from_count(o.depths);
    if (b.datasets.empty()) {
      b.datasets = {"PaulGrahamEssays"};
    }
  }
  spec.benchmarks.push_back(b);
  jobs::MethodFlags flags;
  flags.methods = o.methods;
  flags.budgets = o.budgets;
  flags.betas = o.betas;
  flags.head_scores = o.head_scores;
  flags.layout = o.layout;
  HKV_ASSIGN_OR_RETURN(spec.methods, jobs::method_specs_from_flags(flags));
  HKV_RETURN_IF_ERROR(jobs::validate_sweep_spec(spec));
  return spec;
}

std::string unit_id(const jobs::WorkUnit& u) {
  return std::string(jobs::benchmark_name(u.benchmark)) + "/" + u.dataset + "/" + u.sample_key;
}

// Units already complete in predictions.jsonl (every config present).
Result<std::set<std::string>> done_units(const std::string& path, size_t configs) {
  std::set<std::string> done;
  if (!std::filesystem::exists(path)) {
    return done;
  }
  HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(path));
  std::map<std::string, size_t> count;
  for (const std::string& line : split(text, '\n')) {
    if (trim(line).empty()) {
      continue;
    }
    HKV_ASSIGN_OR_RETURN(Json j, parse_json(line, path));
    if (++count[j.value("unit", std::string())] == configs) {
      done.insert(j.value("unit", std::string()));
    }
  }
  return done;
}

std::vector<ResultRecord> read_records(const std::string& path) {
  std::vector<ResultRecord> out;
  auto text = read_file_to_string(path);
  if (!text.ok()) {
    return out;
  }
  for (const std::string& line : split(*text, '\n')) {
    auto j = parse_json(line, path);
    if (trim(line).empty() || !j.ok()) {
      continue;
    }
    ResultRecord r;
    r.benchmark = j->value("benchmark", "");
    r.dataset = j->value("dataset", "");
    r.sample_key = j->value("sample_key", "");
    r.config = j->value("config", "");
    if (j->contains("config_params")) {
      if (auto c = jobs::config_from_json((*j)["config_params"]); c.ok()) {
        r.cfg = *std::move(c);
      }
    }
    r.prediction = j->value("prediction", "");
    r.references = j->value("references", std::vector<std::string>());
    r.score = j->value("score", 0.0);
    r.cache_bytes = j->value("cache_bytes", int64_t{0});
    r.prompt_tokens = j->value("prompt_tokens", int64_t{0});
    r.new_tokens = j->value("new_tokens", 0);
    r.prefill_ms = j->value("prefill_ms", 0.0);
    r.decode_ms = j->value("decode_ms", 0.0);
    out.push_back(std::move(r));
  }
  return out;
}

// One predictions.jsonl line per config of a finished unit.
void write_predictions(std::ostream& out,
                       const jobs::WorkUnit& u,
                       const std::vector<compression::CompressionConfig>& configs,
                       const worker::RunOutcome& run) {
  const std::string id = unit_id(u);
  for (size_t i = 0; i < run.configs.size(); ++i) {
    const worker::ConfigOutcome& c = run.configs[i];
    Json line = {{"unit", id},
                 {"sample_id", run.sample.id},
                 {"benchmark", jobs::benchmark_name(u.benchmark)},
                 {"dataset", u.dataset},
                 {"sample_key", u.sample_key},
                 {"config", configs[i].label()},
                 {"config_params", jobs::config_to_json(configs[i])},
                 {"prompt_fnv1a64", fnv1a64_hex(run.sample.prompt)},
                 {"prompt_tokens", run.run.prompt_tokens},
                 {"prediction", c.prediction},
                 {"references", run.sample.references},
                 {"score", c.score},
                 {"prefill_ms", run.run.prefill_ms},
                 {"decode_ms", run.run.decode_ms},
                 {"new_tokens", c.new_tokens},
                 {"cache_entries", c.cache_entries},
                 {"cache_bytes", c.cache_bytes}};
    out << dump_json(line) << "\n";
  }
  out.flush();
}

// The generate --trace JSON of one unit, with the unit's id.
Status write_trace(const EvalOptions& o,
                   const jobs::WorkUnit& u,
                   const worker::RunOutcome& run,
                   const std::vector<model::ConfigTrace>& trace) {
  HKV_ASSIGN_OR_RETURN(model::Tokenizer tokenizer, model::load_tokenizer(o.model));
  Json j = trace_to_json(tokenizer, run.run, trace);
  j["unit"] = unit_id(u);
  j["sample_id"] = run.sample.id;
  std::ofstream out(o.trace);
  out << dump_json(j) << "\n";
  if (!out) {
    return errorf(StatusCode::kDataLoss, "--trace: cannot write %s", o.trace.c_str());
  }
  std::fprintf(stderr, "trace of %s: %s\n", unit_id(u).c_str(), o.trace.c_str());
  return Status();
}

}  // namespace

int run_eval(const EvalOptions& o) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "headkv eval: %s\n", s.to_string().c_str());
    return 1;
  };
  auto spec = spec_from_flags(o);
  if (!spec.ok()) {
    return fail(spec.status());
  }
  jobs::ExpandedSweep sweep = jobs::expand_sweep(*spec);
  Status checked = check_sweep_before_queue(*spec, sweep, {o.data_dir, true, false});
  if (!checked.ok()) {
    return fail(checked);
  }
  std::filesystem::create_directories(o.out_dir);
  std::string pred_path = o.out_dir + "/predictions.jsonl";
  auto done = done_units(pred_path, sweep.configs.size());
  if (!done.ok()) {
    return fail(done.status());
  }
  for (const auto& c : sweep.configs) {
    Status valid = c.validate();
    if (!valid.ok()) {
      return fail(valid);
    }
  }
  worker::RunnerOptions ro;
  // The trace is the CPU engine's record: --device auto means the CPU when tracing.
  ro.engine.device = !o.trace.empty() && o.device == "auto" ? "cpu" : o.device;
  ro.engine.dtype = o.dtype;
  ro.engine.tp = o.tp;
  ro.data_dir = o.data_dir;
  worker::TaskRunner runner(ro);
  std::ofstream out(pred_path, std::ios::app);
  auto start = std::chrono::steady_clock::now();
  size_t ran = 0;
  for (const jobs::WorkUnit& u : sweep.units) {
    std::string id = unit_id(u);
    if (done->count(id)) {
      continue;
    }
    worker::RunRequest request{spec->model, u, sweep.configs, spec->max_new_tokens};
    std::vector<model::ConfigTrace> trace;
    const bool tracing = !o.trace.empty() && ran == 0;
    if (tracing) {
      request.trace = &trace;
    }
    auto run = runner.run(request);
    if (!run.ok()) {
      return fail(run.status().with_context("%s", id.c_str()));
    }
    write_predictions(out, u, sweep.configs, *run);
    if (tracing) {
      Status written = write_trace(o, u, *run, trace);
      if (!written.ok()) {
        return fail(written);
      }
    }
    ++ran;
    std::fprintf(stderr, "[%zu/%zu] %s: %lld tokens, prefill %.0f ms, decode %.0f ms\n", ran,
                 sweep.units.size() - done->size(), id.c_str(),
                 static_cast<long long>(run->run.prompt_tokens), run->run.prefill_ms,
                 run->run.decode_ms);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RenderedTables t = render_tables(read_records(pred_path));
  Status st = write_tables(t, o.out_dir);
  if (!st.ok()) {
    return fail(st);
  }
  std::ofstream(o.out_dir + "/metrics.json") << t.json;
  std::printf(
      "%s\n%zu sample(s) run in %.1f s (%zu already done); wrote "
      "%s/{predictions.jsonl,metrics.json,tables.md}\n",
      t.markdown.c_str(), ran, seconds, done->size(), o.out_dir.c_str());
  return 0;
}

}  // namespace hkv::cli
