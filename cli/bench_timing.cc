// The ceilings: one 8192^3 bf16 GEMM through cuBLAS and a 2 GiB device-to-device copy.
#include "cli/bench_timing.h"

#include <algorithm>
#include <random>

#include "kernels/convert.h"
#include "kernels/gemm.h"

namespace hkv::cli {

namespace {

Result<double> gemm_tflops(cudaStream_t stream, const kernels::CublasHandle& blas, int runs) {
  using kernels::DType;
  const int64_t n = 8192;
  std::vector<float> host(n * n);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (float& x : host) {
    x = nd(rng);
  }
  HKV_ASSIGN_OR_RETURN(auto f32, kernels::DeviceBuffer<float>::allocate(n * n));
  HKV_RETURN_IF_ERROR(f32.copy_from_host(host.data(), stream));
  std::vector<kernels::DeviceBuffer<uint16_t>> m(3);  // A, B, C: each [n, n] bf16
  for (auto& buf : m) {
    HKV_ASSIGN_OR_RETURN(buf, kernels::DeviceBuffer<uint16_t>::allocate(n * n));
    kernels::ConvertParams cp{buf.data(), f32.data(), n * n, DType::kF32, DType::kBf16};
    HKV_RETURN_IF_ERROR(kernels::launch_convert(cp, stream));
  }
  kernels::LinearParams p;
  p.out = m[2].data();
  p.in = m[0].data();
  p.weight = m[1].data();
  p.m = p.n = p.k = n;
  p.dtype = p.out_dtype = DType::kBf16;
  HKV_ASSIGN_OR_RETURN(double ms, time_events(stream, std::max(runs, 10),
                                              [&] { return kernels::launch_linear(blas, p); }));
  return 2.0 * n * n * n / (ms * 1e-3) / 1e12;
}

Result<double> copy_tbps(cudaStream_t stream, int runs) {
  const size_t bytes = size_t{2} << 30;
  HKV_ASSIGN_OR_RETURN(auto src, kernels::DeviceBuffer<uint8_t>::allocate(bytes));
  HKV_ASSIGN_OR_RETURN(auto dst, kernels::DeviceBuffer<uint8_t>::allocate(bytes));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(src.data(), 1, bytes, stream));
  HKV_ASSIGN_OR_RETURN(double ms, time_events(stream, std::max(runs, 10), [&] {
                         HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(
                             dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream));
                         return Status();
                       }));
  return 2.0 * bytes / (ms * 1e-3) / 1e12;
}

}  // namespace

Result<Ceilings> measure_ceilings(int runs) {
  HKV_ASSIGN_OR_RETURN(auto stream, kernels::CudaStream::create());
  HKV_ASSIGN_OR_RETURN(auto blas, kernels::CublasHandle::create(stream.get()));
  Ceilings c;
  HKV_ASSIGN_OR_RETURN(c.gemm_tflops, gemm_tflops(stream.get(), blas, runs));
  HKV_ASSIGN_OR_RETURN(c.copy_tbps, copy_tbps(stream.get(), runs));
  return c;
}

}  // namespace hkv::cli
