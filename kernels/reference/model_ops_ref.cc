#include "kernels/reference/model_ops_ref.h"

#include <algorithm>
#include <cmath>

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
      for (int64_t e = 0; e < k; ++e) {
        acc += static_cast<double>(in[i * k + e]) * weight[j * k + e];
      }
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
    if (ids[t] < 0 || ids[t] >= vocab) {
      continue;
    }
    for (int64_t e = 0; e < hidden; ++e) {
      out[t * hidden + e] = table[ids[t] * hidden + e];
    }
  }
  return out;
}

std::vector<float> score_pool(const std::vector<float>& scores,
                              int32_t num_q_heads,
                              int32_t num_kv_heads,
                              int64_t n,
                              DType dtype) {
  const int32_t group = num_q_heads / num_kv_heads;
  std::vector<float> out(static_cast<size_t>(num_kv_heads * n));
  for (int64_t g = 0; g < num_kv_heads; ++g) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int32_t i = 0; i < group; ++i) {
        acc += scores[(g * group + i) * n + j];
      }
      out[g * n + j] = round_to(acc / static_cast<float>(group), dtype);
    }
  }
  return out;
}

std::vector<std::vector<float>> attention_probs(const std::vector<float>& q,
                                                const std::vector<float>& k,
                                                const std::vector<int32_t>& cu_capacity,
                                                const std::vector<int32_t>& kv_lens,
                                                const std::vector<int32_t>& query_segment,
                                                int32_t head_dim,
                                                float scale) {
  std::vector<std::vector<float>> out;
  for (size_t qi = 0; qi < query_segment.size(); ++qi) {
    const int32_t s = query_segment[qi];
    std::vector<double> sc(kv_lens[s]);
    double m = -INFINITY;
    for (int32_t j = 0; j < kv_lens[s]; ++j) {
      double dot = 0.0;
      for (int32_t e = 0; e < head_dim; ++e) {
        dot += double(q[qi * head_dim + e]) * k[(int64_t(cu_capacity[s]) + j) * head_dim + e];
      }
      sc[j] = dot * scale;
      m = std::max(m, sc[j]);
    }
    double sum = 0.0;
    for (double& v : sc) {
      v = std::exp(v - m);
      sum += v;
    }
    std::vector<float> row;
    for (double v : sc) {
      row.push_back(static_cast<float>(v / sum));
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace hkv::kernels::reference
