// `headkv bench --tp N`: the tensor-parallel GPU engine (gpu_engine/gpu_tp.h) on a random prompt,
// wall-clock medians of whole generate() calls (every rank joins each call), for contiguous and
// balanced KV-head placement.
#include <chrono>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/bench.h"
#include "common/strings.h"
#include "common/timing.h"
#include "formats/weights.h"
#include "worker/head_caps.h"
#include "worker/tp_placement.h"
#if HKV_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "gpu_engine/gpu_tp.h"
#include "gpu_engine/nccl_comm.h"
#endif

namespace hkv::cli {
namespace {

#if HKV_HAVE_CUDA
struct TpFigures {
  double prefill_ms = 0, decode_ms_per_step = 0, sweep_ms = 0, sweep_prefill_ms = 0,
         sweep_decode_ms = 0;
};

// Median figures of one placement: FullKV alone (prefill, decode per step), then the sweep.
Result<TpFigures> measure(model::TpGpuModel& tp,
                          const BenchOptions& o,
                          const std::vector<int32_t>& ids,
                          const std::vector<model::CompressionConfig>& configs,
                          const std::vector<std::vector<int32_t>>& caps) {
  model::GenerationConfig gen;
  gen.max_new_tokens = o.new_tokens;
  std::vector<double> prefill, step, sweep, sweep_prefill, sweep_decode;
  for (int r = 0; r <= o.runs; ++r) {  // run 0 warms up
    HKV_ASSIGN_OR_RETURN(model::MultiRun full,
                         tp.generate(ids, {model::CompressionConfig{}}, {{}}, gen));
    const auto t0 = std::chrono::steady_clock::now();
    HKV_ASSIGN_OR_RETURN(model::MultiRun all, tp.generate(ids, configs, caps, gen));
    const double wall_ms = ms_since(t0);
    if (r > 0) {
      sweep.push_back(wall_ms);
      prefill.push_back(full.prefill_ms);
      step.push_back(full.decode_ms / std::max(1, full.decode_steps));
      sweep_prefill.push_back(all.prefill_ms);
      sweep_decode.push_back(all.decode_ms);
    }
  }
  return TpFigures{median(prefill), median(step), median(sweep), median(sweep_prefill),
                   median(sweep_decode)};
}
#endif

}  // namespace

int run_bench_tp(const BenchOptions& o) {
#if HKV_HAVE_CUDA
  auto run = [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(model::ModelSource source, model::ModelSource::open(o.model));
    const model::LlamaConfig& c = source.config();
    model::GpuEngineOptions go;
    HKV_ASSIGN_OR_RETURN(go.dtype, model::parse_compute_dtype(o.dtype));
    std::vector<int> devices;
    for (int r = 0; r < o.tp; ++r) {
      devices.push_back(r);
    }
    const std::vector<int32_t> ids = bench_prompt(c, o.tokens);
    HKV_ASSIGN_OR_RETURN(auto configs, bench_sweep_grid(o.head_scores));
    HKV_ASSIGN_OR_RETURN(auto caps, worker::resolve_head_caps(c, o.model, configs));
    HKV_ASSIGN_OR_RETURN(worker::TpPlan plan, worker::plan_tensor_parallel(c, o.tp, caps));
    cudaDeviceProp prop{};
    HKV_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, 0));
    std::printf("card: %d x %s, %s; model %s (%.2fB parameters), %lld prompt tokens, %d new\n",
                o.tp, prop.name, model::nccl_version().c_str(), c.model_name.c_str(),
                c.num_parameters() / 1e9, static_cast<long long>(o.tokens), o.new_tokens);
    nlohmann::json out = {{"card", prop.name}, {"gpus", o.tp}, {"tokens", o.tokens}};
    std::vector<std::pair<std::string, std::vector<std::vector<int32_t>>>> placements = {
        {"contiguous", model::contiguous_order(c)}};
    if (plan.balanced) {
      placements.emplace_back("balanced", plan.order);
      std::printf("%s\n", plan.summary().c_str());
    }
    for (auto& [name, order] : placements) {
      auto t_load = std::chrono::steady_clock::now();
      HKV_ASSIGN_OR_RETURN(auto tp, model::TpGpuModel::load(source, go, devices, order));
      const double load_s = ms_since(t_load) / 1e3;
      HKV_ASSIGN_OR_RETURN(TpFigures f, measure(*tp, o, ids, configs, caps));
      std::printf(
          "TP=%d %-10s loaded in %.1f s; FullKV prefill %.1f ms, decode %.2f ms/step; sweep of "
          "%zu configs %.0f ms (prefill + compression %.0f, decode %.0f)\n",
          o.tp, name.c_str(), load_s, f.prefill_ms, f.decode_ms_per_step, configs.size(),
          f.sweep_ms, f.sweep_prefill_ms, f.sweep_decode_ms);
      out[name] = {{"prefill_ms", f.prefill_ms},
                   {"decode_ms_per_step", f.decode_ms_per_step},
                   {"sweep_ms", f.sweep_ms},
                   {"sweep_prefill_ms", f.sweep_prefill_ms},
                   {"sweep_decode_ms", f.sweep_decode_ms},
                   {"load_s", load_s}};
    }
    if (plan.balanced) {
      out["imbalance"] = {{"balanced", plan.imbalance}, {"contiguous", plan.contiguous_imbalance}};
    }
    std::ofstream(o.out) << out.dump(1) << "\n";
    return Status();
  };
  Status s = run();
  if (!s.ok()) {
    std::fprintf(stderr, "headkv bench --tp: %s\n", s.to_string().c_str());
    return 1;
  }
  return 0;
#else
  (void)o;
  std::fprintf(stderr, "headkv bench --tp: needs a CUDA build of headkv\n");
  return 1;
#endif
}

}  // namespace hkv::cli
