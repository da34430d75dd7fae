// headkv bench. Figures: median of --runs timed repetitions after one warm-up; GPU intervals from
// CUDA events (prefill) or a host clock after a stream synchronisation (whole generate calls).
#include "cli/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "formats/weights.h"
#include "jobs/sweep_spec.h"
#include "worker/head_caps.h"

#if HKV_HAVE_CUDA
#include "cli/bench_timing.h"
#include "gpu_engine/gpu_generate.h"
#include "kernels/gemm.h"
#endif

namespace hkv::cli {
namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "headkv bench: %s\n", s.to_string().c_str());
  return 1;
}

#if HKV_HAVE_CUDA
using kernels::DType;

// Weights read by one decode step: everything but the embedding table (one row is read).
int64_t decode_weight_bytes(const model::LlamaConfig& c, int64_t elem) {
  const int64_t all = model::gpu_weight_bytes(c, DType::kBf16) / 2 * elem;
  const int64_t table = int64_t{c.vocab_size} * c.hidden_size * elem;
  return c.tie_word_embeddings ? all : all - table;
}

int64_t kv_bytes_per_entry(const model::LlamaConfig& c, int64_t elem) {
  return int64_t{c.head_dim} * 2 * elem;  // K and V
}

// The model under test, the prompt and what every phase shares.
struct BenchRun {
  const BenchOptions& o;
  Ceilings ceil;
  model::LlamaConfig c;
  model::GpuEngineOptions go;
  std::unique_ptr<model::GpuModel> gpu;
  std::vector<int32_t> ids;     // [tokens] random prompt, BOS first
  model::GenerationConfig gen;  // no stop ids: every config runs the full length
  nlohmann::json out;
};

Status load_model(BenchRun* b) {
  HKV_ASSIGN_OR_RETURN(model::ModelSource source, model::ModelSource::open(b->o.model));
  b->c = source.config();
  HKV_ASSIGN_OR_RETURN(DType dtype, model::parse_compute_dtype(b->o.dtype));
  if (dtype == DType::kF32) {
    return errorf(StatusCode::kInvalidArgument,
                  "bench --dtype %s: the targets are for 16-bit compute", b->o.dtype.c_str());
  }
  b->go.dtype = dtype;
  auto t_load = std::chrono::steady_clock::now();
  HKV_ASSIGN_OR_RETURN(b->gpu, model::GpuModel::load(source, b->go));
  std::printf("model: %s, %.2fB parameters, loaded in %.1f s\n", b->c.model_name.c_str(),
              b->c.num_parameters() / 1e9, ms_since(t_load) / 1e3);
  b->ids = bench_prompt(b->c, b->o.tokens);
  b->gen.max_new_tokens = b->o.new_tokens;
  return Status();
}

Status bench_prefill(BenchRun* b) {
  std::vector<double> ms;
  for (int r = 0; r <= b->o.runs; ++r) {
    HKV_ASSIGN_OR_RETURN(model::GpuPrefillResult pre,
                         b->gpu->prefill(b->ids, {model::CompressionConfig{}}, {{}}, {}));
    if (r > 0) {
      ms.push_back(pre.prefill_ms);
    }
  }
  const double t = median(ms), flops = prefill_flops(b->c, b->o.tokens);
  const double rate = flops / (t * 1e-3) / 1e12;
  b->out["prefill"] = {{"tokens", b->o.tokens},
                       {"ms", t},
                       {"tflops", rate},
                       {"fraction_of_gemm", rate / b->ceil.gemm_tflops},
                       {"flops", flops}};
  std::printf("prefill %lld tokens: %.1f ms, %.0f TFLOP/s = %.0f%% of the GEMM rate\n",
              static_cast<long long>(b->o.tokens), t, rate, 100 * rate / b->ceil.gemm_tflops);
  return Status();
}

// One decode step's weight GEMMs alone (M = 1 through launch_linear: the small-M GEMV), in ms.
Result<double> gemv_only_ms(const BenchRun& b) {
  HKV_ASSIGN_OR_RETURN(auto stream, kernels::CudaStream::create());
  HKV_ASSIGN_OR_RETURN(auto blas, kernels::CublasHandle::create(stream.get()));
  const model::LlamaConfig& c = b.c;
  const model::GpuWeights& w = b.gpu->weights();
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;
  HKV_ASSIGN_OR_RETURN(auto x, kernels::DeviceBuffer<uint16_t>::allocate(2 * im));  // [2 im]
  HKV_ASSIGN_OR_RETURN(auto y, kernels::DeviceBuffer<uint16_t>::allocate(
                                   std::max<int64_t>(2 * im, c.vocab_size)));  // [max(2 im, V)]
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(x.data(), 0, x.bytes(), stream.get()));
  auto gemv = [&](const model::DeviceBytes& wt, int64_t n, int64_t k) {
    kernels::LinearParams p;
    p.out = y.data();
    p.in = x.data();
    p.weight = wt.data();
    p.m = 1;
    p.n = n;
    p.k = k;
    p.dtype = p.out_dtype = b.go.dtype;
    return kernels::launch_linear(blas, p);
  };
  return time_events(stream.get(), b.o.runs, [&]() -> Status {
    for (const model::GpuLayerWeights& L : w.layers) {
      HKV_RETURN_IF_ERROR(gemv(L.wq, qd, h));
      HKV_RETURN_IF_ERROR(gemv(L.wk, kvd, h));
      HKV_RETURN_IF_ERROR(gemv(L.wv, kvd, h));
      HKV_RETURN_IF_ERROR(gemv(L.wo, h, qd));
      HKV_RETURN_IF_ERROR(gemv(L.w_gate_up, 2 * im, h));
      HKV_RETURN_IF_ERROR(gemv(L.w_down, h, im));
    }
    return gemv(w.lm_head.size() > 0 ? w.lm_head : w.token_embd, c.vocab_size, h);
  });
}

Status bench_decode(BenchRun* b) {
  const model::LlamaConfig& c = b->c;
  const int64_t elem = 2;
  std::vector<double> step_ms;
  for (int r = 0; r <= b->o.runs; ++r) {
    HKV_ASSIGN_OR_RETURN(
        model::MultiRun run,
        model::generate_multi_gpu(*b->gpu, b->ids, {model::CompressionConfig{}}, {{}}, b->gen));
    if (r > 0) {
      step_ms.push_back(run.decode_ms / std::max(run.decode_steps, 1));
    }
  }
  const double t = median(step_ms);
  const double bytes = decode_weight_bytes(c, elem) + double(b->o.tokens + b->o.new_tokens / 2) *
                                                          c.num_layers * c.num_kv_heads *
                                                          kv_bytes_per_entry(c, elem);
  const double bw = bytes / (t * 1e-3) / 1e12;
  b->out["decode"] = {{"context", b->o.tokens},
                      {"ms_per_step", t},
                      {"bytes_per_step", bytes},
                      {"tbps", bw},
                      {"fraction_of_copy_bw", bw / b->ceil.copy_tbps}};
  std::printf(
      "decode batch 1, full cache at %lld: %.2f ms/step, %.2f GB/step, %.2f TB/s = "
      "%.0f%% of the copy bandwidth\n",
      static_cast<long long>(b->o.tokens), t, bytes / 1e9, bw, 100 * bw / b->ceil.copy_tbps);
  HKV_ASSIGN_OR_RETURN(double gemv_ms, gemv_only_ms(*b));
  const double wb = decode_weight_bytes(c, elem);
  b->out["decode"]["gemv_only_ms"] = gemv_ms;
  b->out["decode"]["gemv_only_tbps"] = wb / (gemv_ms * 1e-3) / 1e12;
  std::printf("  of which weight GEMMs alone (M = 1, launch_linear): %.2f ms, %.2f TB/s\n", gemv_ms,
              wb / (gemv_ms * 1e-3) / 1e12);
  return Status();
}

// Cache entries and bytes per config of `last`, and the sweep's floor: one prefill at the GEMM
// rate + (new_tokens - 1) batched steps at the copy bandwidth.
double sweep_floor_ms(const BenchRun& b, const model::MultiRun& last, nlohmann::json* mem) {
  const model::LlamaConfig& c = b.c;
  const int64_t elem = 2;
  double step_bytes = decode_weight_bytes(c, elem);
  for (const model::ConfigRun& run : last.runs) {
    const bool gqa = run.config.storage_layout() == model::CacheLayout::kGqa;
    const int64_t segments = int64_t{c.num_layers} * (gqa ? c.num_kv_heads : c.num_q_heads);
    step_bytes +=
        double(run.cache_entries + segments * b.o.new_tokens / 2) * kv_bytes_per_entry(c, elem);
    mem->push_back({{"config", run.config.label()},
                    {"entries", run.cache_entries},
                    {"bytes", run.cache_entries * kv_bytes_per_entry(c, elem)}});
  }
  return prefill_flops(c, b.o.tokens) / (b.ceil.gemm_tflops * 1e12) * 1e3 +
         (b.o.new_tokens - 1) * step_bytes / (b.ceil.copy_tbps * 1e12) * 1e3;
}

Status bench_sweep(BenchRun* b) {
  HKV_ASSIGN_OR_RETURN(std::vector<model::CompressionConfig> configs,
                       bench_sweep_grid(b->o.head_scores));
  HKV_ASSIGN_OR_RETURN(std::vector<std::vector<int32_t>> caps,
                       worker::resolve_head_caps(b->c, b->o.model, configs));
  std::vector<double> shared_ms, alone_ms;
  model::MultiRun last;
  for (int r = 0; r <= b->o.runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    HKV_ASSIGN_OR_RETURN(last, model::generate_multi_gpu(*b->gpu, b->ids, configs, caps, b->gen));
    if (r > 0) {
      shared_ms.push_back(ms_since(t0));
    }
  }
  for (int r = 0; b->o.one_by_one && r <= b->o.runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < configs.size(); ++i) {
      HKV_RETURN_IF_ERROR(
          model::generate_multi_gpu(*b->gpu, b->ids, {configs[i]}, {caps[i]}, b->gen).status());
    }
    if (r > 0) {
      alone_ms.push_back(ms_since(t0));
    }
  }
  nlohmann::json mem = nlohmann::json::array();
  const double floor_ms = sweep_floor_ms(*b, last, &mem);
  const double shared = median(shared_ms);
  const double alone = alone_ms.empty() ? 0.0 : median(alone_ms);
  b->out["sweep"] = {{"configs", configs.size()},
                     {"shared_ms", shared},
                     {"floor_ms", floor_ms},
                     {"vs_floor", shared / floor_ms},
                     {"prefill_ms", last.prefill_ms},
                     {"decode_ms", last.decode_ms},
                     {"memory", mem}};
  std::printf(
      "sweep, %zu configs x %d new tokens on one %lld-token sample: %.0f ms "
      "(prefill %.0f, decode %.0f); floor %.0f ms -> %.2fx the floor",
      configs.size(), b->o.new_tokens, static_cast<long long>(b->o.tokens), shared, last.prefill_ms,
      last.decode_ms, floor_ms, shared / floor_ms);
  if (!alone_ms.empty()) {
    b->out["sweep"]["one_by_one_ms"] = alone;
    b->out["sweep"]["speedup_vs_one_by_one"] = alone / shared;
    std::printf("; one by one %.0f ms -> %.1fx faster shared", alone, alone / shared);
  }
  std::printf("\n");
  for (const auto& m : mem) {
    std::printf("  %-34s %10lld entries %10.1f MiB\n", m["config"].get<std::string>().c_str(),
                static_cast<long long>(m["entries"].get<int64_t>()),
                m["bytes"].get<int64_t>() / 1048576.0);
  }
  return Status();
}

Status run_phases(BenchRun* b) {
  cudaDeviceProp prop{};
  HKV_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, 0));
  b->out["card"] = prop.name;
  std::printf("card: %s\n", prop.name);
  HKV_ASSIGN_OR_RETURN(b->ceil, measure_ceilings(b->o.runs));
  b->out["ceilings"] = {{"gemm_bf16_tflops", b->ceil.gemm_tflops},
                        {"copy_tbps", b->ceil.copy_tbps}};
  std::printf("ceilings: bf16 GEMM 8192^3 %.0f TFLOP/s; D2D copy %.2f TB/s (read + write)\n",
              b->ceil.gemm_tflops, b->ceil.copy_tbps);
  if (b->o.what == "ceilings") {
    return Status();
  }
  if (b->o.what == "linear") {
    return bench_linear(b->o, b->ceil, &b->out);
  }
  HKV_RETURN_IF_ERROR(load_model(b));
  const bool all = b->o.what == "all";
  if (all || b->o.what == "prefill") {
    HKV_RETURN_IF_ERROR(bench_prefill(b));
  }
  if (all || b->o.what == "decode") {
    HKV_RETURN_IF_ERROR(bench_decode(b));
  }
  if (all || b->o.what == "sweep") {
    HKV_RETURN_IF_ERROR(bench_sweep(b));
  }
  return Status();
}
#endif

}  // namespace

Result<std::vector<compression::CompressionConfig>> bench_sweep_grid(
    const std::string& head_scores) {
  std::vector<jobs::MethodSpec> methods(1);
  methods[0].method = "FullKV";
  if (!head_scores.empty()) {
    jobs::MethodSpec r2;
    r2.method = "HeadKV-R2";
    r2.budgets = {128};
    r2.betas = {1.005, 1.01, 1.02, 1.05, 1.1, 1.2, 1.5, 2.0};
    r2.temps = {1.0};
    r2.head_scores = head_scores;
    methods.push_back(r2);
  }
  for (const char* name : {"SnapKV", "PyramidKV", "Ada-SnapKV"}) {
    jobs::MethodSpec ms;
    ms.method = name;
    ms.budgets = {128};
    methods.push_back(ms);
  }
  return jobs::expand_method_grid(methods);
}

std::vector<int32_t> bench_prompt(const model::LlamaConfig& c, int64_t tokens) {
  std::mt19937 rng(7);
  std::vector<int32_t> ids(tokens);
  for (int32_t& t : ids) {
    t = static_cast<int32_t>(rng() % c.vocab_size);
  }
  if (c.bos_token_id >= 0 && !ids.empty()) {
    ids[0] = c.bos_token_id;
  }
  return ids;
}

double prefill_flops(const model::LlamaConfig& c, int64_t L) {
  const double h = c.hidden_size, qd = double(c.num_q_heads) * c.head_dim,
               kvd = double(c.num_kv_heads) * c.head_dim, im = c.intermediate_size;
  const double per_token = c.num_layers * (2 * h * qd + 4 * h * kvd + 2 * qd * h + 6 * h * im);
  const double attention = c.num_layers * 2.0 * double(L) * double(L) * c.head_dim *
                           c.num_q_heads;  // causal QK^T + PV: 4 L^2 d H / 2
  return per_token * double(L) + attention + 2.0 * h * c.vocab_size;
}

int run_bench(const BenchOptions& o) {
  if (o.device == "cpu") {
    return run_bench_cpu(o);
  }
  if (o.tp > 0) {
    return run_bench_tp(o);
  }
  if (o.device != "cuda") {
    return fail(errorf(StatusCode::kInvalidArgument,
                       "bench --device: unknown device '%s' (expected cuda or cpu)",
                       o.device.c_str()));
  }
  if (o.what != "all" && o.what != "ceilings" && o.what != "prefill" && o.what != "decode" &&
      o.what != "sweep" && o.what != "linear") {
    return fail(errorf(StatusCode::kInvalidArgument,
                       "bench --what: unknown phase '%s' (expected all, ceilings, prefill, "
                       "decode, sweep or linear)",
                       o.what.c_str()));
  }
#if HKV_HAVE_CUDA
  BenchRun b{o};
  Status s = run_phases(&b);
  if (!s.ok()) {
    return fail(s);
  }
  std::ofstream(o.out) << b.out.dump(1) << "\n";
  return 0;
#else
  (void)o;
  return fail(errorf(StatusCode::kFailedPrecondition, "bench needs a CUDA build of headkv"));
#endif
}

}  // namespace hkv::cli
