// Expands methods x budgets x betas into configs, runs them on one shared prefill, prints results.
#include "cli/generate.h"

#include <cstdio>
#include <fstream>

#include "common/mapped_file.h"
#include "common/strings.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/generate.h"
#include "cpu_engine/tensor_parallel.h"
#include "jobs/sweep_spec.h"
#include "tokenizer/model_files.h"
#include "worker/head_caps.h"
#include "worker/tp_placement.h"

namespace hkv::cli {
namespace {

int fail(const Status& status) {
  std::fprintf(stderr, "headkv generate: %s\n", status.to_string().c_str());
  return 1;
}

// The flags' grid through the sweep expansion (jobs::expand_method_grid), as eval and sweeps.
Result<std::vector<model::CompressionConfig>> expand_configs(const GenerateOptions& o) {
  jobs::MethodFlags flags;
  flags.methods = o.methods;
  flags.budgets = o.budgets;
  flags.betas = o.betas;
  flags.temps = {o.temp};
  flags.head_scores = o.head_scores;
  flags.layout = o.layout;
  HKV_ASSIGN_OR_RETURN(std::vector<jobs::MethodSpec> methods, jobs::method_specs_from_flags(flags));
  return jobs::expand_method_grid(methods);
}

void print_run(const model::Tokenizer& tok,
               const model::ConfigRun& run,
               const model::LlamaConfig& c,
               bool per_layer) {
  auto text = tok.decode(run.tokens, /*skip_special_tokens=*/true);
  int64_t bytes16 = run.cache_entries * c.head_dim * 2 * 2;
  std::printf("\n== %s\n", run.config.label().c_str());
  std::printf("output (%zu tokens%s): %s\n", run.tokens.size(), run.stopped ? ", stopped" : "",
              text.ok() ? text->c_str() : text.status().to_string().c_str());
  std::printf("cache: %lld entries, %s in fp16 (%s as stored in fp32); compress %.1f ms\n",
              static_cast<long long>(run.cache_entries), format_bytes(bytes16).c_str(),
              format_bytes(bytes16 * 2).c_str(), run.compress_ms);
  if (per_layer) {
    std::printf("  layer   entries   bytes(fp16)  min/head  max/head\n");
    for (size_t l = 0; l < run.layers.size(); ++l) {
      const auto& s = run.layers[l];
      std::printf("  %5zu %9lld %13lld %9d %9d\n", l, static_cast<long long>(s.entries),
                  static_cast<long long>(s.entries * c.head_dim * 4), s.min_head, s.max_head);
    }
  }
}

}  // namespace

Json trace_to_json(const model::Tokenizer& tokenizer,
                   const model::MultiRun& run,
                   const std::vector<model::ConfigTrace>& trace) {
  Json configs = Json::array();
  for (size_t i = 0; i < trace.size() && i < run.runs.size(); ++i) {
    const model::CompressionConfig& cc = run.runs[i].config;
    Json capacity = Json::array(), kept = Json::array(), top = Json::array();
    for (const auto& layer : trace[i].kept) {
      Json caps = Json::array();
      for (const auto& segment : layer) {
        caps.push_back(segment.size());
      }
      capacity.push_back(std::move(caps));
      kept.push_back(layer);
    }
    for (const auto& [id, logit] : trace[i].first_decode_top10) {
      top.push_back({{"id", id}, {"logit", logit}, {"token", tokenizer.token_bytes(id)}});
    }
    configs.push_back({{"config", cc.label()},
                       {"segments", compression::cache_layout_name(cc.storage_layout())},
                       {"capacity", std::move(capacity)},
                       {"kept", std::move(kept)},
                       {"first_decode_top10", std::move(top)}});
  }
  return Json{{"prompt_tokens", run.prompt_tokens}, {"configs", std::move(configs)}};
}

int run_generate(const GenerateOptions& o) {
  std::string text;
  if (o.prompt.has_value()) {
    text = *o.prompt;
  } else if (o.prompt_file.has_value()) {
    auto contents = read_file_to_string(*o.prompt_file);
    if (!contents.ok()) {
      return fail(contents.status());
    }
    text = std::move(contents).value();
  } else {
    return fail(errorf(StatusCode::kInvalidArgument, "give --prompt or --prompt-file"));
  }
  auto configs = expand_configs(o);
  if (!configs.ok()) {
    return fail(configs.status());
  }
  auto source = model::ModelSource::open(o.model);
  if (!source.ok()) {
    return fail(source.status());
  }
  auto tokenizer = model::load_tokenizer(o.model);
  if (!tokenizer.ok()) {
    return fail(tokenizer.status());
  }
  auto caps = worker::resolve_head_caps(source->config(), o.model, *configs);
  if (!caps.ok()) {
    return fail(caps.status());
  }

  bool add_special = true;
  if (o.chat) {
    auto family = model::chat_family_for(*tokenizer, o.model, o.chat_template);
    if (!family.ok()) {
      return fail(family.status());
    }
    auto rendered = model::render_user_prompt(*tokenizer, *family, text);
    if (!rendered.ok()) {
      return fail(rendered.status());
    }
    text = std::move(rendered).value();
    add_special = false;
  }
  std::vector<int32_t> ids = tokenizer->encode(text, add_special);
  auto model = model::CpuModel::load(*source);
  if (!model.ok()) {
    return fail(model.status());
  }

  model::GenerationConfig gen;
  gen.max_new_tokens = o.max_new_tokens;
  gen.min_new_tokens = o.min_new_tokens;
  gen.stop_ids = o.stop_ids.empty() ? source->config().eos_token_ids : o.stop_ids;
  std::vector<model::ConfigTrace> trace;
  if (!o.trace.empty()) {
    gen.trace = &trace;
  }
  model::TokenCallback stream;
  if (configs->size() == 1) {  // stream a single config's tokens as they come
    stream = [&](size_t, int32_t id) {
      std::string piece = tokenizer->is_special(id) ? "" : tokenizer->token_bytes(id);
      std::fputs(piece.c_str(), stdout);
      std::fflush(stdout);
    };
    std::printf("[streaming %s]\n", (*configs)[0].label().c_str());
  }
  auto run = [&]() -> Result<model::MultiRun> {
    if (o.tp == 1) {
      return model::generate_multi(*model, ids, *configs, *caps, gen, stream);
    }
    HKV_ASSIGN_OR_RETURN(worker::TpPlan plan,
                         worker::plan_tensor_parallel(source->config(), o.tp, *caps));
    std::printf("%s\n", plan.summary().c_str());
    HKV_ASSIGN_OR_RETURN(auto tp, model::TpCpuModel::split(*model, plan.order, o.tp));
    return tp->generate(ids, *configs, *caps, gen, stream);
  }();
  if (!run.ok()) {
    return fail(run.status());
  }
  std::printf("\nprompt: %lld tokens; prefill %.1f ms (%.1f tok/s), shared by %zu config(s)\n",
              static_cast<long long>(run->prompt_tokens), run->prefill_ms,
              1000.0 * run->prompt_tokens / run->prefill_ms, run->runs.size());
  int64_t generated = 0;
  for (const auto& r : run->runs) {
    generated += static_cast<int64_t>(r.tokens.size());
  }
  std::printf("decode: %d batched steps, %.1f ms (%.1f ms/step, %.1f tok/s over all configs)\n",
              run->decode_steps, run->decode_ms,
              run->decode_steps ? run->decode_ms / run->decode_steps : 0.0,
              run->decode_ms > 0 ? 1000.0 * generated / run->decode_ms : 0.0);
  for (const auto& r : run->runs) {
    print_run(*tokenizer, r, source->config(), o.per_layer);
  }
  if (!o.trace.empty()) {
    std::ofstream out(o.trace);
    out << dump_json(trace_to_json(*tokenizer, *run, trace)) << "\n";
    if (!out) {
      return fail(errorf(StatusCode::kDataLoss, "cannot write the trace to %s", o.trace.c_str()));
    }
    std::printf("trace: %s\n", o.trace.c_str());
  }
  return 0;
}

}  // namespace hkv::cli
