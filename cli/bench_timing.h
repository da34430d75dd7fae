// Timing for `headkv bench` (CUDA builds): CUDA-event timing with a warm-up (medians from
// common/timing.h), and the
// card's ceilings every bench figure is compared against.
#pragma once

#include <chrono>
#include <vector>

#include <cuda_runtime_api.h>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/timing.h"
#include "kernels/device_buffer.h"

namespace hkv::cli {

// Times `body` (enqueued on `stream`) with events: one warm-up, then the median of `runs`, in ms.
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
    if (r > 0) {
      ms.push_back(t);
    }
  }
  return median(ms);
}

struct Ceilings {
  double gemm_tflops = 0.0;  // bf16 8192^3 through cuBLAS
  double copy_tbps = 0.0;    // device-to-device copy, bytes read + written
};

// The card's bf16 GEMM rate and copy bandwidth (median of max(runs, 10) after a warm-up).
Result<Ceilings> measure_ceilings(int runs);

struct BenchOptions;
// `--what linear` (bench_linear.cc): the model's decode-step linear shapes at m = 1..16 through
// launch_linear and through cuBLAS alone; rows into (*out)["linear"].
Status bench_linear(const BenchOptions& o, const Ceilings& ceil, nlohmann::json* out);

}  // namespace hkv::cli
