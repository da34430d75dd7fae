// headkv bench --what linear: one decode step's weight shapes of the model (q, k, v, o, gate/up,
// down, the LM head) at m = 1..16 rows, each through launch_linear (the small-M GEMV where it
// applies, cuBLAS above) and through cuBLAS alone, so the GEMV's row limit (kernels/gemv.h) rests
// on a measurement. Weights are random bf16/f16 bits in two copies per shape, alternated so the
// L2 holds neither; one launch per timing (CUDA events), median of --runs x 5 after a warm-up.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/bench.h"
#include "cli/bench_timing.h"
#include "gpu_engine/gpu_model.h"
#include "kernels/gemm.h"

namespace hkv::cli {

Status bench_linear(const BenchOptions& o, const Ceilings& ceil, nlohmann::json* out) {
  HKV_ASSIGN_OR_RETURN(model::ModelSource source, model::ModelSource::open(o.model));
  const model::LlamaConfig& c = source.config();
  HKV_ASSIGN_OR_RETURN(kernels::DType dtype, model::parse_compute_dtype(o.dtype));
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;

  struct Shape {
    const char* name;
    int64_t n, k;
  };

  const Shape shapes[] = {{"q", qd, h},           {"k/v", kvd, h}, {"o", h, qd},
                          {"gate/up", 2 * im, h}, {"down", h, im}, {"lm_head", c.vocab_size, h}};
  int64_t most = 0;
  for (const Shape& s : shapes) {
    most = std::max(most, s.n * s.k);
  }
  constexpr int64_t kMaxRows = 16;
  HKV_ASSIGN_OR_RETURN(auto stream, kernels::CudaStream::create());
  HKV_ASSIGN_OR_RETURN(auto blas, kernels::CublasHandle::create(stream.get()));
  HKV_ASSIGN_OR_RETURN(auto w0, kernels::DeviceBuffer<uint16_t>::allocate(most));  // [n, k]
  HKV_ASSIGN_OR_RETURN(auto w1, kernels::DeviceBuffer<uint16_t>::allocate(most));  // [n, k]
  HKV_ASSIGN_OR_RETURN(auto x,
                       kernels::DeviceBuffer<uint16_t>::allocate(kMaxRows * std::max(h, im)));
  HKV_ASSIGN_OR_RETURN(auto y, kernels::DeviceBuffer<float>::allocate(kMaxRows * most / h +
                                                                      kMaxRows * c.vocab_size));
  // 0x3c3c: 1.18 in f16, 0.0115 in bf16 - finite, so no NaN slows anything down.
  for (auto* buf : {&w0, &w1, &x}) {
    HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(buf->data(), 0x3c, buf->bytes(), stream.get()));
  }
  std::printf("linear layers, one launch each (us, and weight bytes / time in TB/s):\n");
  std::printf("  %-4s %-8s %10s %8s %10s %8s\n", "m", "layer", "headkv", "TB/s", "cuBLAS", "TB/s");
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t m : {1, 2, 3, 4, 5, 8, 12, 16}) {
    double sum[2] = {0.0, 0.0};
    for (const Shape& s : shapes) {
      double us[2];
      for (int path = 0; path < 2; ++path) {
        int call = 0;
        HKV_ASSIGN_OR_RETURN(double ms, time_events(stream.get(), 5 * o.runs, [&]() -> Status {
                               kernels::LinearParams p;
                               p.out = y.data();
                               p.in = x.data();
                               p.weight = (call++ % 2 == 0 ? w0 : w1).data();
                               p.m = m;
                               p.n = s.n;
                               p.k = s.k;
                               p.dtype = dtype;
                               p.out_dtype = s.n == c.vocab_size ? kernels::DType::kF32 : dtype;
                               return path == 0 ? kernels::launch_linear(blas, p)
                                                : kernels::launch_linear_cublas(blas, p);
                             }));
        us[path] = 1e3 * ms;
        sum[path] += us[path];
      }
      const double bytes = 2.0 * double(s.n) * double(s.k);
      std::printf("  %-4lld %-8s %10.1f %8.2f %10.1f %8.2f\n", static_cast<long long>(m), s.name,
                  us[0], bytes / us[0] / 1e6, us[1], bytes / us[1] / 1e6);
      rows.push_back({{"m", m},
                      {"layer", s.name},
                      {"n", s.n},
                      {"k", s.k},
                      {"headkv_us", us[0]},
                      {"cublas_us", us[1]}});
    }
    std::printf("  %-4lld %-8s %10.1f %8s %10.1f   (one of each; copy ceiling %.2f TB/s)\n",
                static_cast<long long>(m), "sum", sum[0], "", sum[1], ceil.copy_tbps);
  }
  (*out)["linear"] = rows;
  return Status();
}

}  // namespace hkv::cli
