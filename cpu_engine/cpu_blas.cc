// cblas_sgemm wrapper; OpenBLAS introspection for the description. OpenBLAS runs single-threaded
// and headkv splits large products by output columns over its own pool (common/parallel.h): the
// engine's other per-row work runs on the same threads, so no BLAS thread spins (sched_yield)
// beside it. Each output element is the same dot product, in the same order, either way.
#include "cpu_engine/cpu_blas.h"

#include <algorithm>
#include <cblas.h>
#include <cstdlib>
#include <strings.h>

#include "common/logging.h"
#include "common/parallel.h"
#include "common/strings.h"

namespace hkv::model {
namespace {

// Called before every product: OpenBLAS's own threads off, once.
void single_threaded_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

// Output columns per task: at least 64 (a whole number of 16-wide kernel tiles), about four tasks
// per thread for balance, and products under ~2 MFLOP stay on one thread.
int64_t column_grain(int64_t m, int64_t n, int64_t k) {
  if (m * n * k < (int64_t{1} << 20)) {
    return n;
  }
  const int64_t per = (n + 4 * parallel_threads() - 1) / (4 * parallel_threads());
  return std::max<int64_t>(64, (per + 15) / 16 * 16);
}

}  // namespace

void gemm_f32_nt(
    const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool accumulate) {
  HKV_CHECK(m >= 0 && n >= 0 && k >= 0)
      << "gemm_f32_nt: negative size m=" << m << " n=" << n << " k=" << k;
  if (m == 0 || n == 0) {
    return;
  }
  single_threaded_blas();
  parallel_for(n, column_grain(m, n, k), [&](int64_t j0, int64_t j1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(m),
                static_cast<blasint>(j1 - j0), static_cast<blasint>(k), 1.0f, a,
                static_cast<blasint>(k), b + j0 * k, static_cast<blasint>(k),
                accumulate ? 1.0f : 0.0f, c + j0, static_cast<blasint>(n));
  });
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
  single_threaded_blas();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), accumulate ? 1.0f : 0.0f, c,
              static_cast<blasint>(ldc));
}

std::string better_blas_coretype() {
#if defined(__x86_64__)
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) {
    return "";
  }
  const char* core = openblas_get_corename();
  const std::string name = core != nullptr ? core : "";
  static const char* kAvx2Cores[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"};
  for (const char* good : kAvx2Cores) {
    if (strcasecmp(name.c_str(), good) == 0) {
      return "";
    }
  }
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return "Haswell";
  }
#endif
  return "";
}

std::string blas_description() {
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  single_threaded_blas();
  return strformat("%s (core %s; single-threaded, split over %d headkv threads)",
                   config != nullptr ? config : "OpenBLAS", core != nullptr ? core : "?",
                   parallel_threads());
}

}  // namespace hkv::model
