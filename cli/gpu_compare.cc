// gpu-compare: tokens.json + logits.f32 ([steps, vocab] float32 of config 0: the prefill's last
// row, then each decode step) and, with --cpu-overlap, overlap.json and a per-method table.
#include "cli/gpu_compare.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/mapped_file.h"
#include "common/strings.h"
#include "cpu_engine/kv_compressor.h"
#include "jobs/sweep_spec.h"
#include "model/engine.h"
#include "worker/head_caps.h"

#if HKV_HAVE_CUDA
#include "gpu_engine/gpu_generate.h"
#endif

namespace hkv::cli {
namespace {

[[maybe_unused]] std::string first_ids(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 8; ++i) {
    out += (i ? "," : "") + std::to_string(ids[i]);
  }
  return out;
}

int fail(const Status& s) {
  std::fprintf(stderr, "headkv gpu-compare: %s\n", s.to_string().c_str());
  return 1;
}

#if HKV_HAVE_CUDA
Result<std::vector<int32_t>> read_ids(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array() || j.empty()) {
    return errorf(StatusCode::kInvalidArgument, "%s: expected a non-empty JSON list of token ids",
                  path.c_str());
  }
  std::vector<int32_t> ids;
  for (const auto& v : j) {
    if (!v.is_number_integer()) {
      return errorf(StatusCode::kInvalidArgument, "%s: non-integer token id", path.c_str());
    }
    ids.push_back(v.get<int32_t>());
  }
  return ids;
}

struct Overlap {
  double sum = 0.0;
  double min = 1.0;
  int64_t heads = 0;
  int64_t identical = 0;
};

// Per head: |GPU kept ∩ CPU kept| / |CPU kept| (kept positions as sets, window included).
Status cpu_overlap(const model::ModelSource& source,
                   const std::vector<int32_t>& ids,
                   const std::vector<model::CompressionConfig>& configs,
                   const std::vector<std::vector<int32_t>>& caps,
                   const model::GpuTrace& trace,
                   nlohmann::json* out) {
  HKV_ASSIGN_OR_RETURN(model::CpuModel cpu, model::CpuModel::load(source));
  int32_t window = 1;
  for (const auto& cc : configs) {
    window = std::max(window, cc.window);
  }
  HKV_ASSIGN_OR_RETURN(model::PrefillOutput pre, cpu.prefill(ids, window, false));
  const model::LlamaConfig& c = cpu.config();
  std::printf("\nkept positions, GPU vs CPU engine (|GPU ∩ CPU| / |CPU| per head)\n");
  std::printf("%-28s %10s %10s %12s\n", "config", "mean", "min", "identical");
  for (size_t i = 0; i < configs.size(); ++i) {
    const auto& cc = configs[i];
    const bool gqa = cc.storage_layout() == model::CacheLayout::kGqa;
    const int32_t S = gqa ? c.num_kv_heads : c.num_q_heads;
    Overlap o;
    for (int32_t l = 0; l < c.num_layers; ++l) {
      std::span<const int32_t> lc;
      if (model::uses_head_scores(cc.method)) {
        lc = std::span<const int32_t>(caps[i]).subspan(static_cast<size_t>(l) * S, S);
      }
      auto cpu_kept = model::select_positions(pre.layers[l], c, cc, l, pre.num_tokens,
                                              pre.window_rows, lc, true);
      const auto& gpu_kept = trace.kept[i][l];
      for (int32_t s = 0; s < S; ++s) {
        std::vector<int32_t> a = cpu_kept[s], b = gpu_kept[s];
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        std::vector<int32_t> both;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
        const double f = a.empty() ? 1.0 : static_cast<double>(both.size()) / a.size();
        o.sum += f;
        o.min = std::min(o.min, f);
        ++o.heads;
        o.identical += (a == b) ? 1 : 0;
      }
    }
    const double mean = o.sum / std::max<int64_t>(o.heads, 1);
    std::printf("%-28s %9.4f%% %9.4f%% %6lld/%-6lld\n", cc.label().c_str(), 100 * mean, 100 * o.min,
                static_cast<long long>(o.identical), static_cast<long long>(o.heads));
    (*out)[cc.label()] = {
        {"mean", mean}, {"min", o.min}, {"heads", o.heads}, {"identical", o.identical}};
  }
  return Status();
}
#endif

}  // namespace

int run_gpu_compare(const GpuCompareOptions& o) {
#if HKV_HAVE_CUDA
  auto ids = read_ids(o.prompt_ids);
  if (!ids.ok()) {
    return fail(ids.status());
  }
  auto source = model::ModelSource::open(o.model);
  if (!source.ok()) {
    return fail(source.status());
  }
  // The flags' grid through the sweep expansion (jobs::expand_method_grid), as eval and sweeps.
  jobs::MethodFlags flags;
  flags.methods = o.methods;
  flags.budgets = {o.budget};
  flags.betas = {1.01};
  flags.head_scores = o.head_scores;
  flags.layout = o.layout;
  auto specs = jobs::method_specs_from_flags(flags);
  if (!specs.ok()) {
    return fail(specs.status());
  }
  auto grid = jobs::expand_method_grid(*specs);
  if (!grid.ok()) {
    return fail(grid.status());
  }
  const std::vector<model::CompressionConfig>& configs = *grid;
  auto caps = worker::resolve_head_caps(source->config(), o.model, configs);
  if (!caps.ok()) {
    return fail(caps.status());
  }
  model::GpuEngineOptions go;
  go.device = o.device.rfind("cuda:", 0) == 0 ? std::atoi(o.device.c_str() + 5) : 0;
  auto dtype = model::parse_compute_dtype(o.dtype);
  if (!dtype.ok()) {
    return fail(dtype.status());
  }
  go.dtype = *dtype;
  auto gpu = model::GpuModel::load(*source, go);
  if (!gpu.ok()) {
    return fail(gpu.status());
  }
  model::GenerationConfig gen;
  gen.max_new_tokens = o.max_new_tokens;  // no stop ids: every config runs the full length
  model::GpuTrace trace;
  trace.keep_logits = true;
  trace.keep_positions = o.cpu_overlap;
  auto run = model::generate_multi_gpu(**gpu, *ids, configs, *caps, gen, {}, &trace);
  if (!run.ok()) {
    return fail(run.status());
  }
  std::filesystem::create_directories(o.out_dir);
  nlohmann::json tokens;
  tokens["prompt_tokens"] = run->prompt_tokens;
  tokens["dtype"] = o.dtype;
  tokens["prefill_ms"] = run->prefill_ms;
  tokens["decode_ms"] = run->decode_ms;
  tokens["vocab"] = source->config().vocab_size;
  tokens["logit_steps"] = trace.logits.size();
  for (const auto& r : run->runs) {
    tokens["configs"].push_back(
        {{"label", r.config.label()}, {"tokens", r.tokens}, {"cache_entries", r.cache_entries}});
  }
  std::ofstream(o.out_dir + "/tokens.json") << tokens.dump(1) << "\n";
  std::ofstream(o.out_dir + "/prompt_ids.json") << nlohmann::json(*ids).dump() << "\n";
  std::ofstream lf(o.out_dir + "/logits.f32", std::ios::binary);
  for (const auto& row : trace.logits) {
    lf.write(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(float));
  }
  std::printf("GPU %s: %lld prompt tokens, prefill %.1f ms, %d decode steps %.1f ms, %zu configs\n",
              o.dtype.c_str(), static_cast<long long>(run->prompt_tokens), run->prefill_ms,
              run->decode_steps, run->decode_ms, run->runs.size());
  for (const auto& r : run->runs) {
    std::printf("  %-28s %lld entries, first tokens %s\n", r.config.label().c_str(),
                static_cast<long long>(r.cache_entries), first_ids(r.tokens).c_str());
  }
  if (o.cpu_overlap) {
    nlohmann::json overlap;
    Status st = cpu_overlap(*source, *ids, configs, *caps, trace, &overlap);
    if (!st.ok()) {
      return fail(st);
    }
    std::ofstream(o.out_dir + "/overlap.json") << overlap.dump(1) << "\n";
  }
  return 0;
#else
  (void)o;
  return fail(errorf(StatusCode::kFailedPrecondition, "gpu-compare needs a CUDA build of headkv"));
#endif
}

}  // namespace hkv::cli
