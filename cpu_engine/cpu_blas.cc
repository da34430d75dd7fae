// cblas_sgemm wrapper; OpenBLAS introspection for the description.
#include "cpu_engine/cpu_blas.h"

#include <cblas.h>

#include "common/logging.h"
#include "common/strings.h"

namespace hkv::model {

void gemm_f32_nt(
    const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool accumulate) {
  HKV_CHECK(m >= 0 && n >= 0 && k >= 0)
      << "gemm_f32_nt: negative size m=" << m << " n=" << n << " k=" << k;
  if (m == 0 || n == 0) {
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(k), b,
              static_cast<blasint>(k), accumulate ? 1.0f : 0.0f, c, static_cast<blasint>(n));
}

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
                      bool accumulate) {
  HKV_CHECK(m >= 0 && n >= 0 && k >= 0) << "gemm_f32_strided: negative size";
  if (m == 0 || n == 0) {
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), accumulate ? 1.0f : 0.0f, c,
              static_cast<blasint>(ldc));
}

std::string blas_description() {
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  int threads = openblas_get_num_threads();
  int parallel = openblas_get_parallel();  // 0 sequential, 1 pthreads, 2 OpenMP
  const char* mode = parallel == 0 ? "sequential" : (parallel == 1 ? "pthreads" : "OpenMP");
  return strformat("%s (core %s, %d threads, %s)", config != nullptr ? config : "OpenBLAS",
                   core != nullptr ? core : "?", threads, mode);
}

}  // namespace hkv::model
