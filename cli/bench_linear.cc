// headkv bench --what linear: one decode step's weight shapes of the model (q, k, v, o, gate/up,
// down, the LM head) at m = 1..16 rows, each through launch_linear (the small-M GEMV where it
// applies, cuBLAS above) and through cuBLAS alone, so the GEMV's row limit (kernels/gemv.h) rests
// on a measurement. Each linear is its own launch (the engine fuses q, k and v into one GEMV
// launch where the GEMV applies, so its sum for m <= 3 is an upper bound). The weights rotate
// over slices of a pool four times the L2, so no launch finds its weight in the L2 (the GEMV
// loads evict-first, cuBLAS does not); one warm-up, then the median of 5 x --runs launches timed
// with CUDA events.
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
  if (dtype != kernels::DType::kBf16 && dtype != kernels::DType::kF16) {
    return errorf(StatusCode::kInvalidArgument,
                  "bench --what linear --dtype %s: expected bf16 or f16 (decode weights)",
                  o.dtype.c_str());
  }
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;

  struct Shape {
    const char* name;
    int64_t n, k;
  };

  const Shape shapes[] = {{"q", qd, h},
                          {"k", kvd, h},
                          {"v", kvd, h},
                          {"o", h, qd},
                          {"gate/up", 2 * im, h},
                          {"down", h, im},
                          {"lm_head", c.vocab_size, h}};
  int64_t most = 0;  // elements of the largest weight
  for (const Shape& s : shapes) {
    most = std::max(most, s.n * s.k);
  }
  int l2_bytes = 0;
  HKV_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, 0));
  const int64_t pool = std::max(2 * most, 4 * int64_t{l2_bytes} / 2);  // elements
  constexpr int64_t kMaxRows = 16;
  const int64_t widest_k = std::max({h, qd, im});
  HKV_ASSIGN_OR_RETURN(auto stream, kernels::CudaStream::create());
  HKV_ASSIGN_OR_RETURN(auto blas, kernels::CublasHandle::create(stream.get()));
  HKV_ASSIGN_OR_RETURN(auto w, kernels::DeviceBuffer<uint16_t>::allocate(pool));  // [pool]
  HKV_ASSIGN_OR_RETURN(auto x, kernels::DeviceBuffer<uint16_t>::allocate(kMaxRows * widest_k));
  // [kMaxRows, n] outputs, f32 at most (the LM head's logits)
  HKV_ASSIGN_OR_RETURN(auto y, kernels::DeviceBuffer<float>::allocate(
                                   kMaxRows * std::max<int64_t>(most / h, c.vocab_size)));
  // 0x3c3c: about 1.06 in f16 and 0.0115 in bf16 - finite, so no NaN or Inf slows anything down.
  for (auto* buf : {&w, &x}) {
    HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(buf->data(), 0x3c, buf->bytes(), stream.get()));
  }
  std::printf("linear layers, one launch each (us, and weight bytes / time in TB/s):\n");
  std::printf("  %-4s %-8s %10s %8s %10s %8s\n", "m", "layer", "headkv", "TB/s", "cuBLAS", "TB/s");
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t m : {1, 2, 3, 4, 5, 8, 12, 16}) {
    double sum[2] = {0.0, 0.0};
    for (const Shape& s : shapes) {
      const int64_t slices = pool / (s.n * s.k);  // >= 2
      double us[2];
      for (int path = 0; path < 2; ++path) {
        int64_t call = 0;
        HKV_ASSIGN_OR_RETURN(double ms, time_events(stream.get(), 5 * o.runs, [&]() -> Status {
                               kernels::LinearParams p;
                               p.out = y.data();
                               p.in = x.data();
                               p.weight = w.data() + (call++ % slices) * s.n * s.k;
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
    std::printf(
        "  %-4lld %-8s %10.1f %8s %10.1f   (one layer + the LM head; copy ceiling %.2f "
        "TB/s)\n",
        static_cast<long long>(m), "sum", sum[0], "", sum[1], ceil.copy_tbps);
  }
  (*out)["linear"] = rows;
  return Status();
}

}  // namespace hkv::cli
