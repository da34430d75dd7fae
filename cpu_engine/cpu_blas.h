// The CPU engine's GEMM, through the system BLAS (OpenBLAS from Debian), plus a description of the
// BLAS in use for `headkv doctor`.
#pragma once

#include <cstdint>
#include <string>

namespace hkv::model {

// C[m, n] = A[m, k] * B[n, k]^T (+ C when accumulate), all row-major float32. This is the shape of
// every projection: activations [tokens, in] times a weight [out, in]. Large products are split by
// output columns over the headkv thread pool (common/parallel.h).
void gemm_f32_nt(const float* a,  // [m, k]
                 const float* b,  // [n, k]
                 float* c,        // [m, n]
                 int64_t m,
                 int64_t n,
                 int64_t k,
                 bool accumulate);

// General strided form: C[m, n] (ldc) = A[m, k] (lda) * op(B) with op(B) = B^T when b_transposed
// (B stored [n, k], ldb) or B (stored [k, n], ldb). Used for per-head attention blocks that live
// inside wider row-major matrices. Runs on the calling thread (callers parallelise over heads).
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

// "OpenBLAS 0.3.21 ... (core SkylakeX; single-threaded, split over 2 headkv threads)" or similar.
std::string blas_description();

// OpenBLAS picks its kernels from the CPU model when the library loads. On CPUs it does not know
// (virtual machines often report a generic model) it falls back to a pre-AVX core such as
// Prescott, several times slower. This returns the core to ask for through OPENBLAS_CORETYPE
// ("SkylakeX" with AVX-512, "Haswell" with AVX2 + FMA) when OpenBLAS chose a core without AVX2 on
// a CPU that has it and the variable is unset; "" otherwise. It must be set before OpenBLAS
// loads, so the caller re-executes itself (cli/main.cc).
std::string better_blas_coretype();

}  // namespace hkv::model
