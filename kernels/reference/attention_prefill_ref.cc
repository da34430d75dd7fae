// Straightforward two-pass softmax per (row, head) in double.
#include "kernels/reference/attention_prefill_ref.h"

#include <cmath>
#include <limits>

namespace hkv::kernels::reference {

std::vector<float> attention_prefill(const std::vector<float>& q,
                                     const std::vector<float>& k,
                                     const std::vector<float>& v,
                                     int64_t num_q_tokens,
                                     int64_t kv_len,
                                     int32_t num_q_heads,
                                     int32_t num_kv_heads,
                                     int32_t head_dim,
                                     float scale) {
  const int64_t D = head_dim, G = num_q_heads / num_kv_heads, offset = kv_len - num_q_tokens;
  std::vector<float> out(static_cast<size_t>(num_q_tokens) * num_q_heads * D);
  std::vector<double> s(kv_len);
  for (int64_t i = 0; i < num_q_tokens; ++i) {
    for (int64_t h = 0; h < num_q_heads; ++h) {
      const float* qi = &q[(i * num_q_heads + h) * D];
      int64_t g = h / G, visible = i + offset + 1;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < visible; ++j) {
        const float* kj = &k[(j * num_kv_heads + g) * D];
        double dot = 0;
        for (int64_t d = 0; d < D; ++d) {
          dot += static_cast<double>(qi[d]) * kj[d];
        }
        s[j] = dot * scale;
        m = std::max(m, s[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < visible; ++j) {
        sum += (s[j] = std::exp(s[j] - m));
      }
      for (int64_t d = 0; d < D; ++d) {
        double acc = 0;
        for (int64_t j = 0; j < visible; ++j) {
          acc += s[j] * v[(j * num_kv_heads + g) * D + d];
        }
        out[(i * num_q_heads + h) * D + d] = static_cast<float>(acc / sum);
      }
    }
  }
  return out;
}

}  // namespace hkv::kernels::reference
