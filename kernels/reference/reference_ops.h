// float32 host references for the device kernels; used by tests and tools only. Tensors are
// packed row-major std::vectors of float holding values representable in the kernel's dtype; each
// reference rounds to that dtype (common/half.h, bit-exact with CUDA's _rn) where the kernel does.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cuda_utils.h"
#include "kernels/window_score.h"

namespace hkv::kernels::reference {

// Reference for launch_convert: `in` holds num_elements values of in_dtype (raw bytes), the
// result holds them as out_dtype (raw bytes), rounded to nearest even.
std::vector<uint8_t> convert(const std::vector<uint8_t>& in,
                             int64_t num_elements,
                             DType in_dtype,
                             DType out_dtype);

// v rounded to dtype's precision, as a float (identity for f32).
float round_to(float v, DType dtype);

// Rounds every element to dtype in place (to make random inputs representable).
void round_all(std::vector<float>& values, DType dtype);

// launch_rms_norm. x: [num_rows, hidden]; residual: [num_rows, hidden] or null, updated to x +
// residual; weight: [hidden]. Returns [num_rows, hidden]. Variance accumulated in double.
std::vector<float> rms_norm(const std::vector<float>& x,
                            std::vector<float>* residual,
                            const std::vector<float>& weight,
                            int64_t num_rows,
                            int32_t hidden,
                            float eps,
                            DType dtype);

// launch_rope, in place. x: [num_tokens, num_heads, head_dim] packed; positions: [num_tokens];
// inv_freq: [head_dim / 2].
void rope(std::vector<float>& x,
          const std::vector<int64_t>& positions,
          const std::vector<float>& inv_freq,
          int64_t num_tokens,
          int32_t num_heads,
          int32_t head_dim,
          DType dtype);

// launch_silu_mul on packed [num_rows, width] gate and up (same size). Returns [num_rows, width].
std::vector<float> silu_mul(const std::vector<float>& gate,
                            const std::vector<float>& up,
                            DType dtype);

// launch_argmax. logits: [num_rows, vocab]. Ties -> lowest index, NaN is the largest.
std::vector<int32_t> argmax(const std::vector<float>& logits, int64_t num_rows, int64_t vocab);

struct WindowScoreArgs {
  int32_t num_q_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t window = 8;
  int32_t head_dim = 128;
  int64_t num_tokens = 0;  // L
  int32_t kernel_size = 7;
  ScoreReduce reduce = ScoreReduce::kMean;
  ScorePool pool = ScorePool::kMax;
  DType dtype = DType::kF16;  // f16 or bf16
};

// launch_window_score (ALGORITHMS.md §0.4): q [num_q_heads, window, head_dim] (the last window
// queries), k [num_kv_heads, L, head_dim]. Returns [num_q_heads, L - window] dtype values. Dot
// products are sequential float32 multiply-then-add in d order; row sums sequential in key order.
std::vector<float> window_score(const std::vector<float>& q,
                                const std::vector<float>& k,
                                const WindowScoreArgs& args);

// launch_topk_select: scores segmented by cu_lens; segment s yields cu_k[s+1] - cu_k[s] positions
// of a stable descending sort (ties -> lower position, NaN first), -1 past the segment's end.
std::vector<int32_t> topk_select(const std::vector<float>& scores,
                                 const std::vector<int32_t>& cu_lens,
                                 const std::vector<int32_t>& cu_k);

struct KvLayout {
  std::vector<int32_t> cu_capacity;  // [num_segments + 1]
  int32_t segments_per_kv_head = 1;
  int32_t head_dim = 0;
};

// launch_kv_gather: src [num_kv_heads, num_tokens, head_dim] packed; out [cu_capacity.back(),
// head_dim] (rows past each segment's length are left as they are); kv_lens resized and set.
// Returns the error flag (a position out of range or a segment over capacity; rows skipped).
bool kv_gather(const std::vector<float>& k_src,
               const std::vector<float>& v_src,
               int64_t num_tokens,
               const std::vector<int32_t>& kept,
               const std::vector<int32_t>& cu_kept,
               int64_t tail_start,
               int32_t num_tail_rows,
               const KvLayout& layout,
               std::vector<float>* k_out,
               std::vector<float>* v_out,
               std::vector<int32_t>* kv_lens);

// launch_kv_append: new rows [num_kv_heads, head_dim] packed. Returns the error flag (a full
// segment, left unchanged).
bool kv_append(const std::vector<float>& k_new,
               const std::vector<float>& v_new,
               const KvLayout& layout,
               std::vector<float>* k_cache,
               std::vector<float>* v_cache,
               std::vector<int32_t>* kv_lens);

// launch_segment_capacity: cu_capacity [num_segments + 1] (resized) from base_rows plus, where
// count_index[t] >= 0, clamp(counts[count_index[t]], 0, count_max[t]), also written to
// kept_lens[count_index[t]]; sums past max_rows are cut there. Returns the error flag (a cut).
bool segment_capacity(const std::vector<int32_t>& base_rows,
                      const std::vector<int32_t>& count_index,
                      const std::vector<int32_t>& count_max,
                      const std::vector<int32_t>& counts,
                      int64_t max_rows,
                      std::vector<int32_t>* cu_capacity,
                      std::vector<int32_t>* kept_lens);

// launch_attention_decode: q [num_queries, head_dim]; k, v [rows, head_dim]; query qi reads segment
// qi / queries_per_segment, rows [cu_capacity[s], cu_capacity[s] + kv_lens[s]) (kv_lens empty:
// the whole capacity). Accumulates in double, rounds the output to dtype; empty segment -> zeros.
std::vector<float> attention_decode(const std::vector<float>& q,
                                    const std::vector<float>& k,
                                    const std::vector<float>& v,
                                    const std::vector<int32_t>& cu_capacity,
                                    const std::vector<int32_t>& kv_lens,
                                    int32_t queries_per_segment,
                                    int32_t head_dim,
                                    float softmax_scale,
                                    DType dtype);

}  // namespace hkv::kernels::reference
