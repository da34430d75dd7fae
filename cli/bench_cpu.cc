// headkv bench --device cpu: the SGEMM ceiling through the engine's own GEMM and the CPU engine's
// prefill, host clock, one warm-up then the median of --runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/bench.h"
#include "common/parallel.h"
#include "common/timing.h"
#include "cpu_engine/cpu_blas.h"
#include "cpu_engine/cpu_model.h"
#include "formats/weights.h"

namespace hkv::cli {
namespace {

using Clock = std::chrono::steady_clock;

// C[n, n] = A[n, n] B[n, n]^T in float32 through gemm_f32_nt, in GFLOP/s.
double sgemm_gflops(int64_t n, int runs) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (float& x : a) {
    x = u(rng);
  }
  for (float& x : b) {
    x = u(rng);
  }
  std::vector<double> ms;
  for (int r = 0; r <= runs; ++r) {
    auto t0 = Clock::now();
    model::gemm_f32_nt(a.data(), b.data(), c.data(), n, n, n, false);
    if (r > 0) {
      ms.push_back(ms_since(t0));
    }
  }
  return 2.0 * n * n * n / (median(ms) * 1e-3) / 1e9;
}

Status run(const BenchOptions& o, nlohmann::json* out) {
  (*out)["device"] = "cpu";
  (*out)["threads"] = parallel_threads();
  (*out)["blas"] = model::blas_description();
  std::printf("cpu: %d threads; %s\n", parallel_threads(), model::blas_description().c_str());
  const double gemm = sgemm_gflops(2048, std::max(o.runs, 5));
  (*out)["sgemm_2048_gflops"] = gemm;
  std::printf("SGEMM 2048^3: %.0f GFLOP/s\n", gemm);
  if (o.what == "ceilings") {
    return Status();
  }
  HKV_ASSIGN_OR_RETURN(model::ModelSource source, model::ModelSource::open(o.model));
  HKV_ASSIGN_OR_RETURN(model::CpuModel cpu, model::CpuModel::load(source));
  const model::LlamaConfig& c = cpu.config();
  const std::vector<int32_t> ids = bench_prompt(c, o.tokens);
  std::vector<double> ms;
  for (int r = 0; r <= o.runs; ++r) {
    auto t0 = Clock::now();
    HKV_RETURN_IF_ERROR(cpu.prefill(ids, 8, false).status());
    if (r > 0) {
      ms.push_back(ms_since(t0));
    }
  }
  const double t = median(ms), flops = prefill_flops(c, o.tokens);
  const double rate = flops / (t * 1e-3) / 1e9;
  (*out)["prefill"] = {{"model", c.model_name},
                       {"tokens", o.tokens},
                       {"ms", t},
                       {"gflops", rate},
                       {"fraction_of_sgemm", rate / gemm},
                       {"runs_ms", ms}};
  std::printf("prefill %lld tokens (%s): %.0f ms, %.0f GFLOP/s = %.0f%% of the SGEMM rate\n",
              static_cast<long long>(o.tokens), c.model_name.c_str(), t, rate, 100 * rate / gemm);
  return Status();
}

}  // namespace

int run_bench_cpu(const BenchOptions& o) {
  if (o.what != "all" && o.what != "ceilings" && o.what != "prefill") {
    std::fprintf(stderr,
                 "headkv bench --device cpu: --what %s (expected all, ceilings or prefill)\n",
                 o.what.c_str());
    return 1;
  }
  nlohmann::json out;
  Status s = run(o, &out);
  if (!s.ok()) {
    std::fprintf(stderr, "headkv bench: %s\n", s.to_string().c_str());
    return 1;
  }
  std::ofstream(o.out) << out.dump(1) << "\n";
  return 0;
}

}  // namespace hkv::cli
