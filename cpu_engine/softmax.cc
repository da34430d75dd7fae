// Built with -O3 -ffast-math (cpu_engine/CMakeLists.txt): GCC vectorises these loops and calls
// libmvec's expf variants; target_clones picks AVX-512, AVX2 or the baseline at load time.
#include "cpu_engine/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define HKV_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HKV_VECTOR_CLONES
#endif

namespace hkv::model {

HKV_VECTOR_CLONES
void softmax_inplace(float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    m = std::max(m, x[i]);
  }
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= inv;
  }
}

HKV_VECTOR_CLONES
void silu_mul_inplace(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  }
}

}  // namespace hkv::model
