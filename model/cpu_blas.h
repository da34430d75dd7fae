// The CPU engine's GEMM, through the system BLAS (OpenBLAS from Debian), plus a description of the
// BLAS in use for `headkv doctor`.
#pragma once

#include <cstdint>
#include <string>

namespace hkv::model {

// C[m, n] = A[m, k] * B[n, k]^T (+ C when accumulate), all row-major float32. This is the shape of
// every projection: activations [tokens, in] times a weight [out, in].
void gemm_f32_nt(const float* a,  // [m, k]
                 const float* b,  // [n, k]
                 float* c,        // [m, n]
                 int64_t m,
                 int64_t n,
                 int64_t k,
                 bool accumulate);

// "OpenBLAS 0.3.21 (Haswell, 2 threads, pthread)" or similar.
std::string blas_description();

}  // namespace hkv::model
