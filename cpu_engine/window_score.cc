// Window scores with the reference's precision steps: fp16 q/k, fp32-accumulated dot rounded to
// fp16, fp16 scaling by an fp32 1/sqrt(D), fp32 softmax rounded to fp16, fp32 reduce rounded to
// fp16, pooling on fp16 values.
#include "cpu_engine/window_score.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/half.h"
#include "cpu_engine/cpu_blas.h"

namespace hkv::model {
namespace {

float round_f16(float x) {
  return f16_to_float(float_to_f16(x));
}

}  // namespace

std::vector<float> window_scores(const WindowScoreParams& p) {
  const int64_t L = p.num_tokens, w = p.window, D = p.head_dim, n = L - w;
  HKV_CHECK(w >= 1 && w <= p.window_rows && n >= 1)
      << "window_scores: window " << w << " of " << p.window_rows << " rows, " << L << " tokens";
  const int32_t G = p.num_heads / p.num_kv_heads;
  auto rnd = [&](float x) { return p.fp16 ? round_f16(x) : x; };
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(D));
  std::vector<float> out(static_cast<size_t>(p.num_heads) * n);
  std::vector<float> q(w * D), k(L * D), logits(w * L), reduced(n);
  for (int32_t h = 0; h < p.num_heads; ++h) {
    const float* qsrc =
        p.window_q + (static_cast<int64_t>(h) * p.window_rows + (p.window_rows - w)) * D;
    const float* ksrc = p.keys + static_cast<int64_t>(h / G) * L * D;
    for (int64_t i = 0; i < w * D; ++i) {
      q[i] = rnd(qsrc[i]);
    }
    for (int64_t i = 0; i < L * D; ++i) {
      k[i] = rnd(ksrc[i]);
    }
    gemm_f32_nt(q.data(), k.data(), logits.data(), w, L, D, false);
    for (int64_t i = 0; i < w; ++i) {
      float* row = &logits[i * L];
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < L; ++j) {
        bool masked = j >= n && (j - n) > i;  // causal inside the window only
        row[j] = masked ? -std::numeric_limits<float>::infinity() : rnd(rnd(row[j]) * inv_sqrt_d);
        m = std::max(m, row[j]);
      }
      float sum = 0.0f;
      for (int64_t j = 0; j < L; ++j) {
        row[j] = std::exp(row[j] - m);
        sum += row[j];
      }
      for (int64_t j = 0; j < L; ++j) {
        row[j] = rnd(row[j] / sum);
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t i = 0; i < w; ++i) {
        acc += logits[i * L + j];
      }
      reduced[j] = rnd(p.reduce == ScoreReduce::kSum ? acc : acc / static_cast<float>(w));
    }
    float* dst = &out[static_cast<int64_t>(h) * n];
    const int64_t r = p.kernel / 2;
    for (int64_t j = 0; j < n; ++j) {
      int64_t lo = std::max<int64_t>(0, j - r), hi = std::min<int64_t>(n - 1, j + r);
      if (p.pooling == Pooling::kMax) {
        float m = reduced[lo];
        for (int64_t t = lo + 1; t <= hi; ++t) {
          m = std::max(m, reduced[t]);
        }
        dst[j] = m;
      } else {  // zero padding counted: always divide by the kernel size
        float acc = 0.0f;
        for (int64_t t = lo; t <= hi; ++t) {
          acc += reduced[t];
        }
        dst[j] = rnd(acc / static_cast<float>(p.kernel));
      }
    }
  }
  return out;
}

std::vector<float> pool_scores_to_kv_heads(const std::vector<float>& scores,
                                           int32_t num_heads,
                                           int32_t num_kv_heads,
                                           int64_t n,
                                           bool fp16) {
  const int32_t G = num_heads / num_kv_heads;
  std::vector<float> out(static_cast<size_t>(num_kv_heads) * n);
  for (int32_t g = 0; g < num_kv_heads; ++g) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int32_t i = 0; i < G; ++i) {
        acc += scores[(static_cast<int64_t>(g) * G + i) * n + j];
      }
      float mean = acc / static_cast<float>(G);
      out[static_cast<int64_t>(g) * n + j] = fp16 ? round_f16(mean) : mean;
    }
  }
  return out;
}

}  // namespace hkv::model
