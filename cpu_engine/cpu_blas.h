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

// General strided form: C[m, n] (ldc) = A[m, k] (lda) * op(B) with op(B) = B^T when b_transposed
// (B stored [n, k], ldb) or B (stored [k, n], ldb). Used for per-head attention blocks that live
// inside wider row-major matrices.
void gemm_f32_strided(const float* a,
                      int64_t lda,
                      const float* b,
                      int64_t ldb,
                      bool b_transposed,
                      float* c,
                      int64_t ldc,
                      int64_t m,
                      int64_t n,
                      int64_t k,
                      float alpha,
                      bool accumulate);

// "OpenBLAS 0.3.21 (Haswell, 2 threads, pthread)" or similar.
std::string blas_description();

}  // namespace hkv::model
