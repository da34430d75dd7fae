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
#include "model/weights.h"
#include "worker/head_caps.h"

#if HKV_HAVE_CUDA
#include "kernels/convert.h"
#include "kernels/gemm.h"
#include "model/gpu_generate.h"
#endif

namespace hkv::cli {
namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "headkv bench: %s\n", s.to_string().c_str());
  return 1;
}

#if HKV_HAVE_CUDA
using kernels::DType;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Times `body` (enqueued on `stream`) with events: one warm-up, then `runs` medians in ms.
template <typename F>
Result<double> time_events(cudaStream_t stream, int runs, F&& body) {
  HKV_ASSIGN_OR_RETURN(auto a, kernels::CudaEvent::create());
  HKV_ASSIGN_OR_RETURN(auto b, kernels::CudaEvent::create());
  std::vector<double> ms;
  for (int r = 0; r <= runs; ++r) {
    HKV_RETURN_IF_ERROR(a.record(stream));
    HKV_RETURN_IF_ERROR(body());
    HKV_RETURN_IF_ERROR(b.record(stream));
    HKV_RETURN_IF_ERROR(b.synchronize());
    HKV_ASSIGN_OR_RETURN(float t, b.elapsed_ms_since(a));
    if (r > 0)
      ms.push_back(t);
  }
  return median(ms);
}

struct Ceilings {
  double gemm_tflops = 0.0;  // bf16 8192^3 through cuBLAS
  double copy_tbps = 0.0;    // device-to-device copy, bytes read + written
};

Result<Ceilings> measure_ceilings(int runs) {
  HKV_ASSIGN_OR_RETURN(auto stream, kernels::CudaStream::create());
  HKV_ASSIGN_OR_RETURN(auto blas, kernels::CublasHandle::create(stream.get()));
  const int64_t n = 8192;
  std::vector<float> host(n * n);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (float& x : host)
    x = nd(rng);
  HKV_ASSIGN_OR_RETURN(auto f32, kernels::DeviceBuffer<float>::allocate(n * n));
  HKV_RETURN_IF_ERROR(f32.copy_from_host(host.data(), stream.get()));
  std::vector<kernels::DeviceBuffer<uint16_t>> m(3);
  for (auto& buf : m) {
    HKV_ASSIGN_OR_RETURN(buf, kernels::DeviceBuffer<uint16_t>::allocate(n * n));
    kernels::ConvertParams cp{buf.data(), f32.data(), n * n, DType::kF32, DType::kBf16};
    HKV_RETURN_IF_ERROR(kernels::launch_convert(cp, stream.get()));
  }
  kernels::LinearParams p;
  p.out = m[2].data();
  p.in = m[0].data();
  p.weight = m[1].data();
  p.m = p.n = p.k = n;
  p.dtype = p.out_dtype = DType::kBf16;
  Ceilings c;
  HKV_ASSIGN_OR_RETURN(double gemm_ms, time_events(stream.get(), std::max(runs, 10), [&] {
                         return kernels::launch_linear(blas, p);
                       }));
  c.gemm_tflops = 2.0 * n * n * n / (gemm_ms * 1e-3) / 1e12;
  const size_t bytes = size_t{2} << 30;
  HKV_ASSIGN_OR_RETURN(auto src, kernels::DeviceBuffer<uint8_t>::allocate(bytes));
  HKV_ASSIGN_OR_RETURN(auto dst, kernels::DeviceBuffer<uint8_t>::allocate(bytes));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(src.data(), 1, bytes, stream.get()));
  HKV_ASSIGN_OR_RETURN(
      double copy_ms, time_events(stream.get(), std::max(runs, 10), [&] {
        HKV_CUDA_RETURN_IF_ERROR(
            cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
        return Status();
      }));
  c.copy_tbps = 2.0 * bytes / (copy_ms * 1e-3) / 1e12;
  return c;
}

// Weights read by one decode step: everything but the embedding table (one row is read).
int64_t decode_weight_bytes(const model::LlamaConfig& c, int64_t elem) {
  const int64_t all = model::gpu_weight_bytes(c, DType::kBf16) / 2 * elem;
  const int64_t table = int64_t{c.vocab_size} * c.hidden_size * elem;
  return c.tie_word_embeddings ? all : all - table;
}

double prefill_flops(const model::LlamaConfig& c, int64_t L) {
  const double h = c.hidden_size, qd = double(c.num_q_heads) * c.head_dim,
               kvd = double(c.num_kv_heads) * c.head_dim, im = c.intermediate_size;
  const double per_token = c.num_layers * (2 * h * qd + 4 * h * kvd + 2 * qd * h + 6 * h * im);
  const double attention = c.num_layers * 2.0 * double(L) * double(L) * c.head_dim *
                           c.num_q_heads;  // causal QK^T + PV: 4 L^2 d H / 2
  return per_token * double(L) + attention + 2.0 * h * c.vocab_size;
}

int64_t kv_bytes_per_entry(const model::LlamaConfig& c, int64_t elem) {
  return int64_t{c.head_dim} * 2 * elem;  // K and V
}
#endif

}  // namespace

int run_bench(const BenchOptions& o) {
#if HKV_HAVE_CUDA
  nlohmann::json out;
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  out["card"] = prop.name;
  std::printf("card: %s\n", prop.name);
  Ceilings ceil;
  {
    auto c = measure_ceilings(o.runs);
    if (!c.ok())
      return fail(c.status());
    ceil = *c;
    out["ceilings"] = {{"gemm_bf16_tflops", ceil.gemm_tflops}, {"copy_tbps", ceil.copy_tbps}};
    std::printf("ceilings: bf16 GEMM 8192^3 %.0f TFLOP/s; D2D copy %.2f TB/s (read + write)\n",
                ceil.gemm_tflops, ceil.copy_tbps);
  }
  if (o.what == "ceilings") {
    std::ofstream(o.out) << out.dump(1) << "\n";
    return 0;
  }
  auto source = model::ModelSource::open(o.model);
  if (!source.ok())
    return fail(source.status());
  const model::LlamaConfig& c = source->config();
  model::GpuEngineOptions go;
  auto dtype = model::parse_compute_dtype(o.dtype);
  if (!dtype.ok() || *dtype == DType::kF32)
    return fail(dtype.ok() ? errorf(StatusCode::kInvalidArgument,
                                    "bench --dtype %s: the targets are for 16-bit compute",
                                    o.dtype.c_str())
                           : dtype.status());
  go.dtype = *dtype;
  const int64_t elem = 2;
  auto t_load = std::chrono::steady_clock::now();
  auto gpu = model::GpuModel::load(*source, go);
  if (!gpu.ok())
    return fail(gpu.status());
  std::printf("model: %s, %.2fB parameters, loaded in %.1f s\n", c.model_name.c_str(),
              c.num_parameters() / 1e9, ms_since(t_load) / 1e3);
  std::mt19937 rng(7);
  std::vector<int32_t> ids(o.tokens);
  for (int32_t& t : ids)
    t = static_cast<int32_t>(rng() % c.vocab_size);
  ids[0] = c.bos_token_id >= 0 ? c.bos_token_id : ids[0];
  model::GenerationConfig gen;
  gen.max_new_tokens = o.new_tokens;  // no stop ids: every config runs the full length
  model::CompressionConfig full;

  if (o.what == "all" || o.what == "prefill") {
    std::vector<double> ms;
    for (int r = 0; r <= o.runs; ++r) {
      model::GpuPrefillOptions po;
      auto pre = (*gpu)->prefill(ids, {full}, {{}}, po);
      if (!pre.ok())
        return fail(pre.status());
      if (r > 0)
        ms.push_back(pre->prefill_ms);
    }
    const double t = median(ms), flops = prefill_flops(c, o.tokens);
    const double rate = flops / (t * 1e-3) / 1e12;
    out["prefill"] = {{"tokens", o.tokens},
                      {"ms", t},
                      {"tflops", rate},
                      {"fraction_of_gemm", rate / ceil.gemm_tflops},
                      {"flops", flops}};
    std::printf("prefill %lld tokens: %.1f ms, %.0f TFLOP/s = %.0f%% of the GEMM rate\n",
                static_cast<long long>(o.tokens), t, rate, 100 * rate / ceil.gemm_tflops);
  }
  if (o.what == "all" || o.what == "decode") {
    std::vector<double> step_ms;
    for (int r = 0; r <= o.runs; ++r) {
      auto run = model::generate_multi_gpu(**gpu, ids, {full}, {{}}, gen);
      if (!run.ok())
        return fail(run.status());
      if (r > 0)
        step_ms.push_back(run->decode_ms / std::max(run->decode_steps, 1));
    }
    const double t = median(step_ms);
    const double bytes = decode_weight_bytes(c, elem) + double(o.tokens + o.new_tokens / 2) *
                                                            c.num_layers * c.num_kv_heads *
                                                            kv_bytes_per_entry(c, elem);
    const double bw = bytes / (t * 1e-3) / 1e12;
    out["decode"] = {{"context", o.tokens},
                     {"ms_per_step", t},
                     {"bytes_per_step", bytes},
                     {"tbps", bw},
                     {"fraction_of_copy_bw", bw / ceil.copy_tbps}};
    std::printf(
        "decode batch 1, full cache at %lld: %.2f ms/step, %.2f GB/step, %.2f TB/s = "
        "%.0f%% of the copy bandwidth\n",
        static_cast<long long>(o.tokens), t, bytes / 1e9, bw, 100 * bw / ceil.copy_tbps);
    // The step's weight GEMMs alone (M = 1 through cuBLAS): what they get of the bandwidth.
    {
      auto stream = kernels::CudaStream::create();
      auto blas = stream.ok() ? kernels::CublasHandle::create(stream->get())
                              : Result<kernels::CublasHandle>(stream.status());
      if (!blas.ok())
        return fail(blas.status());
      const model::GpuWeights& w = (*gpu)->weights();
      const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                    kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;
      auto x = kernels::DeviceBuffer<uint16_t>::allocate(2 * im);
      auto y = kernels::DeviceBuffer<uint16_t>::allocate(std::max<int64_t>(2 * im, c.vocab_size));
      if (!x.ok() || !y.ok())
        return fail(x.ok() ? y.status() : x.status());
      HKV_CUDA_CHECK(cudaMemsetAsync(x->data(), 0, x->bytes(), stream->get()));
      auto gemv = [&](const model::DeviceBytes& wt, int64_t n, int64_t k) {
        kernels::LinearParams p;
        p.out = y->data();
        p.in = x->data();
        p.weight = wt.data();
        p.m = 1;
        p.n = n;
        p.k = k;
        p.dtype = p.out_dtype = go.dtype;
        return kernels::launch_linear(*blas, p);
      };
      auto ms = time_events(stream->get(), o.runs, [&]() -> Status {
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
      if (!ms.ok())
        return fail(ms.status());
      const double wb = decode_weight_bytes(c, elem);
      out["decode"]["gemv_only_ms"] = *ms;
      out["decode"]["gemv_only_tbps"] = wb / (*ms * 1e-3) / 1e12;
      std::printf("  of which weight GEMMs alone (M = 1, cuBLAS): %.2f ms, %.2f TB/s\n", *ms,
                  wb / (*ms * 1e-3) / 1e12);
    }
  }
  if (o.what == "all" || o.what == "sweep") {
    std::vector<model::CompressionConfig> configs = {full};
    if (!o.head_scores.empty()) {
      for (double beta : {1.005, 1.01, 1.02, 1.05, 1.1, 1.2, 1.5, 2.0}) {
        model::CompressionConfig cc;
        cc.method = model::Method::kHeadKvR2;
        cc.budget = 128;
        cc.beta = beta;
        cc.head_scores = o.head_scores;
        configs.push_back(cc);
      }
    }
    for (model::Method m :
         {model::Method::kSnapKv, model::Method::kPyramidKv, model::Method::kAdaSnapKv}) {
      model::CompressionConfig cc;
      cc.method = m;
      cc.budget = 128;
      configs.push_back(cc);
    }
    auto resolved = worker::resolve_head_caps(c, o.model, configs);
    if (!resolved.ok())
      return fail(resolved.status());
    const std::vector<std::vector<int32_t>>& caps = *resolved;
    std::vector<double> shared_ms, alone_ms;
    model::MultiRun last;
    for (int r = 0; r <= o.runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto run = model::generate_multi_gpu(**gpu, ids, configs, caps, gen);
      if (!run.ok())
        return fail(run.status());
      if (r > 0)
        shared_ms.push_back(ms_since(t0));
      last = std::move(*run);
    }
    for (int r = 0; r <= o.runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < configs.size(); ++i) {
        auto run = model::generate_multi_gpu(**gpu, ids, {configs[i]}, {caps[i]}, gen);
        if (!run.ok())
          return fail(run.status());
      }
      if (r > 0)
        alone_ms.push_back(ms_since(t0));
    }
    // Floor: one prefill at the GEMM rate + 127 batched steps at the copy bandwidth.
    double step_bytes = decode_weight_bytes(c, elem);
    nlohmann::json mem = nlohmann::json::array();
    for (const model::ConfigRun& run : last.runs) {
      const bool gqa = run.config.storage_layout() == model::CacheLayout::kGqa;
      const int64_t segments = int64_t{c.num_layers} * (gqa ? c.num_kv_heads : c.num_q_heads);
      step_bytes +=
          double(run.cache_entries + segments * o.new_tokens / 2) * kv_bytes_per_entry(c, elem);
      mem.push_back({{"config", run.config.label()},
                     {"entries", run.cache_entries},
                     {"bytes", run.cache_entries * kv_bytes_per_entry(c, elem)}});
    }
    const double floor_ms = prefill_flops(c, o.tokens) / (ceil.gemm_tflops * 1e12) * 1e3 +
                            (o.new_tokens - 1) * step_bytes / (ceil.copy_tbps * 1e12) * 1e3;
    const double shared = median(shared_ms), alone = median(alone_ms);
    out["sweep"] = {{"configs", configs.size()},
                    {"shared_ms", shared},
                    {"one_by_one_ms", alone},
                    {"floor_ms", floor_ms},
                    {"vs_floor", shared / floor_ms},
                    {"speedup_vs_one_by_one", alone / shared},
                    {"prefill_ms", last.prefill_ms},
                    {"decode_ms", last.decode_ms},
                    {"memory", mem}};
    std::printf(
        "sweep, %zu configs x %d new tokens on one %lld-token sample: %.0f ms "
        "(prefill %.0f, decode %.0f); floor %.0f ms -> %.2fx the floor; one by one %.0f "
        "ms -> %.1fx faster shared\n",
        configs.size(), o.new_tokens, static_cast<long long>(o.tokens), shared, last.prefill_ms,
        last.decode_ms, floor_ms, shared / floor_ms, alone, alone / shared);
    for (const auto& m : mem) {
      std::printf("  %-34s %10lld entries %10.1f MiB\n", m["config"].get<std::string>().c_str(),
                  static_cast<long long>(m["entries"].get<int64_t>()),
                  m["bytes"].get<int64_t>() / 1048576.0);
    }
  }
  std::ofstream(o.out) << out.dump(1) << "\n";
  return 0;
#else
  (void)o;
  return fail(errorf(StatusCode::kFailedPrecondition, "bench needs a CUDA build of headkv"));
#endif
}

}  // namespace hkv::cli
