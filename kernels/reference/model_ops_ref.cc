#include "kernels/reference/model_ops_ref.h"

#include "kernels/reference/reference_ops.h"

namespace hkv::kernels::reference {

std::vector<float> linear(const std::vector<float>& in,
                          const std::vector<float>& weight,
                          int64_t m,
                          int64_t n,
                          int64_t k,
                          DType out_dtype) {
  std::vector<float> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t e = 0; e < k; ++e)
        acc += static_cast<double>(in[i * k + e]) * weight[j * k + e];
      out[i * n + j] = round_to(static_cast<float>(acc), out_dtype);
    }
  }
  return out;
}

std::vector<float> embedding(const std::vector<float>& table,
                             const std::vector<int32_t>& ids,
                             int64_t hidden) {
  const int64_t vocab = static_cast<int64_t>(table.size()) / hidden;
  std::vector<float> out(ids.size() * hidden, 0.0f);
  for (size_t t = 0; t < ids.size(); ++t) {
    if (ids[t] < 0 || ids[t] >= vocab)
      continue;
    for (int64_t e = 0; e < hidden; ++e)
      out[t * hidden + e] = table[ids[t] * hidden + e];
  }
  return out;
}

std::vector<float> score_pool(
    const std::vector<float>& scores, int32_t num_q_heads, int32_t num_kv_heads, int64_t n,
    DType dtype) {
  const int32_t group = num_q_heads / num_kv_heads;
  std::vector<float> out(static_cast<size_t>(num_kv_heads * n));
  for (int64_t g = 0; g < num_kv_heads; ++g) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int32_t i = 0; i < group; ++i)
        acc += scores[(g * group + i) * n + j];
      out[g * n + j] = round_to(acc / static_cast<float>(group), dtype);
    }
  }
  return out;
}

}  // namespace hkv::kernels::reference
