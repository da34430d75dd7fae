// Internal: the hand-written small-M path of launch_linear (decode steps: out[m, n] = in[m, k] .
// weight[n, k]^T for m <= kGemvMaxRows). cuBLAS picks split-K kernels for these shapes that reach
// 25-77% of the memory bandwidth and add a reduce launch each (bench/NOTES.md); this path streams
// the weight once with 16-byte loads, one warp per output feature, in one launch.
#pragma once

#include <span>

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/gemm.h"

namespace hkv::kernels::internal {

// From m = 4 on, cuBLAS streams the weights faster than this path (bench/RESULTS.md, session 10,
// an H100: one 8B layer's linears plus the LM head take 554 us in cuBLAS vs 575 here at m = 4, 555
// vs 523 at m = 2; `headkv bench --what linear` measures it); a tensor-core variant for m = 5..16
// was 1.5-2x slower than cuBLAS and was dropped.
inline constexpr int64_t kGemvMaxRows = 3;
inline constexpr int kGemvMaxFused = 3;  // layers one launch can serve (q, k, v)

// Whether the small-M path takes these (already validated) params: f16/bf16 operands, m in
// [1, kGemvMaxRows], out dtype = dtype or f32, k and the input row stride multiples of 8, and
// 16-byte aligned input and weight.
bool gemv_applies(const LinearParams& params);

// Whether a and b can share one launch: both small-M, same input, m, k, stride, beta and dtypes.
bool gemv_can_fuse(const LinearParams& a, const LinearParams& b);

// out = in . weight^T + beta * out for each of 1..kGemvMaxFused layers in one launch, fp32
// accumulation; every member must satisfy gemv_can_fuse with the first.
Status launch_gemv(std::span<const LinearParams> group, cudaStream_t stream);

}  // namespace hkv::kernels::internal
