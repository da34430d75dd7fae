// float32 host references for the GPU engine's model-level ops: linear (GEMM), embedding lookup
// and GQA score pooling. Same conventions as reference_ops.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cuda_utils.h"

namespace hkv::kernels::reference {

// out[m, n] = round(sum_k in[m, k] * weight[n, k]) to out_dtype, accumulated in double.
std::vector<float> linear(const std::vector<float>& in,
                          const std::vector<float>& weight,
                          int64_t m,
                          int64_t n,
                          int64_t k,
                          DType out_dtype);

// Rows of table [vocab, hidden] by id; an id outside [0, vocab) gives a zero row.
std::vector<float> embedding(const std::vector<float>& table,
                             const std::vector<int32_t>& ids,
                             int64_t hidden);

// out[g, j] = round(float32 sum over the group's heads, in order, / G) to dtype.
std::vector<float> score_pool(const std::vector<float>& scores,
                              int32_t num_q_heads,
                              int32_t num_kv_heads,
                              int64_t n,
                              DType dtype);

// Softmax rows of decode queries over their segments (double accumulation): [num_queries][kv_len].
std::vector<std::vector<float>> attention_probs(const std::vector<float>& q,
                                                const std::vector<float>& k,
                                                const std::vector<int32_t>& cu_capacity,
                                                const std::vector<int32_t>& kv_lens,
                                                const std::vector<int32_t>& query_segment,
                                                int32_t head_dim,
                                                float scale);

}  // namespace hkv::kernels::reference
