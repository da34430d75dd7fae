// Host references for the selection path: window_score (ALGORITHMS.md §0.4 rounding steps) and
// the stable descending top-k. Declared in reference_ops.h.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/logging.h"
#include "kernels/reference/reference_ops.h"

namespace hkv::kernels::reference {
namespace {

float mask_min(DType dtype) {
  return dtype == DType::kF16 ? -65504.0f : -3.38953138925153547590470800371487866880e+38f;
}

// The softmax inputs of window row i over all L keys, rounded as the kernel rounds them.
void row_logits(const float* qrow,  // [head_dim]
                const float* kh,    // [L, head_dim]
                const WindowScoreArgs& a,
                int32_t i,
                float inv_sqrt_d,
                std::vector<float>& x) {
  const int64_t prefix = a.num_tokens - a.window;
  for (int64_t j = 0; j < a.num_tokens; ++j) {
    const float* krow = kh + j * a.head_dim;
    float acc = 0.0f;
    for (int32_t d = 0; d < a.head_dim; ++d) {
      const float prod = qrow[d] * krow[d];
      acc = acc + prod;
    }
    float v = round_to(round_to(acc, a.dtype) * inv_sqrt_d, a.dtype);
    if (j >= prefix && j - prefix > i) {
      v = round_to(v + mask_min(a.dtype), a.dtype);
    }
    x[j] = v;
  }
}

}  // namespace

std::vector<float> window_score(const std::vector<float>& q,
                                const std::vector<float>& k,
                                const WindowScoreArgs& a) {
  HKV_CHECK(a.num_q_heads > 0 && a.num_kv_heads > 0 && a.num_q_heads % a.num_kv_heads == 0 &&
            a.window > 0 && a.num_tokens > a.window && a.kernel_size % 2 == 1)
      << "reference::window_score: bad shape heads=" << a.num_q_heads << "/" << a.num_kv_heads
      << " window=" << a.window << " L=" << a.num_tokens << " kernel=" << a.kernel_size;
  HKV_CHECK(q.size() == static_cast<size_t>(a.num_q_heads) * a.window * a.head_dim &&
            k.size() == static_cast<size_t>(a.num_kv_heads) * a.num_tokens * a.head_dim)
      << "reference::window_score: q has " << q.size() << " and k " << k.size() << " elements";
  const int64_t prefix = a.num_tokens - a.window;
  const int32_t group = a.num_q_heads / a.num_kv_heads;
  const float inv_sqrt_d = 1.0f / static_cast<float>(std::sqrt(static_cast<double>(a.head_dim)));
  const int32_t halo = a.kernel_size / 2;
  std::vector<float> out(static_cast<size_t>(a.num_q_heads) * prefix);
  std::vector<float> x(a.num_tokens);
  std::vector<float> col(prefix);
  std::vector<float> reduced(prefix);
  for (int32_t h = 0; h < a.num_q_heads; ++h) {
    const float* kh = k.data() + static_cast<int64_t>(h / group) * a.num_tokens * a.head_dim;
    std::fill(col.begin(), col.end(), 0.0f);
    for (int32_t i = 0; i < a.window; ++i) {
      const float* qrow = q.data() + (static_cast<int64_t>(h) * a.window + i) * a.head_dim;
      row_logits(qrow, kh, a, i, inv_sqrt_d, x);
      float m = -INFINITY;
      for (float v : x) {
        m = std::max(m, v);
      }
      float sum = 0.0f;
      for (float v : x) {
        sum += std::exp(v - m);
      }
      for (int64_t j = 0; j < prefix; ++j) {
        col[j] += round_to(std::exp(x[j] - m) / sum, a.dtype);
      }
    }
    for (int64_t j = 0; j < prefix; ++j) {
      const bool mean = a.reduce == ScoreReduce::kMean;
      reduced[j] = round_to(mean ? col[j] / static_cast<float>(a.window) : col[j], a.dtype);
    }
    for (int64_t j = 0; j < prefix; ++j) {
      const int64_t lo = std::max<int64_t>(j - halo, 0);
      const int64_t hi = std::min<int64_t>(j + halo, prefix - 1);
      float v;
      if (a.pool == ScorePool::kMax) {
        v = -INFINITY;
        for (int64_t t = lo; t <= hi; ++t) {
          v = std::max(v, reduced[t]);
        }
      } else {
        float sum = 0.0f;
        for (int64_t t = lo; t <= hi; ++t) {
          sum += reduced[t];
        }
        v = round_to(sum / static_cast<float>(a.kernel_size), a.dtype);
      }
      out[static_cast<size_t>(h) * prefix + j] = v;
    }
  }
  return out;
}

std::vector<int32_t> topk_select(const std::vector<float>& scores,
                                 const std::vector<int32_t>& cu_lens,
                                 const std::vector<int32_t>& cu_k) {
  HKV_CHECK(!cu_lens.empty() && cu_lens.size() == cu_k.size() &&
            static_cast<size_t>(cu_lens.back()) == scores.size())
      << "reference::topk_select: cu_lens " << cu_lens.size() << " cu_k " << cu_k.size()
      << " scores " << scores.size();
  std::vector<int32_t> out(cu_k.back(), -1);
  for (size_t s = 0; s + 1 < cu_lens.size(); ++s) {
    const float* seg = scores.data() + cu_lens[s];
    std::vector<int32_t> order(cu_lens[s + 1] - cu_lens[s]);
    std::iota(order.begin(), order.end(), 0);
    // "a before b": NaN above everything, then the larger value; -0 == +0 compare equal.
    std::stable_sort(order.begin(), order.end(), [seg](int32_t a, int32_t b) {
      const bool na = std::isnan(seg[a]);
      const bool nb = std::isnan(seg[b]);
      if (na || nb) {
        return na && !nb;
      }
      return seg[a] > seg[b];
    });
    const int32_t k = cu_k[s + 1] - cu_k[s];
    for (int32_t r = 0; r < k && r < static_cast<int32_t>(order.size()); ++r) {
      out[cu_k[s] + r] = order[r];
    }
  }
  return out;
}

}  // namespace hkv::kernels::reference
