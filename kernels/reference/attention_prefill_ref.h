// float32 host reference for launch_attention_prefill (double accumulation).
#pragma once

#include <cstdint>
#include <vector>

namespace hkv::kernels::reference {

// q: [num_q_tokens, num_q_heads, head_dim]; k, v: [kv_len, num_kv_heads, head_dim].
// Returns out: [num_q_tokens, num_q_heads, head_dim]. Row i sees keys 0 .. i + kv_len -
// num_q_tokens.
std::vector<float> attention_prefill(const std::vector<float>& q,
                                     const std::vector<float>& k,
                                     const std::vector<float>& v,
                                     int64_t num_q_tokens,
                                     int64_t kv_len,
                                     int32_t num_q_heads,
                                     int32_t num_kv_heads,
                                     int32_t head_dim,
                                     float scale);

}  // namespace hkv::kernels::reference
