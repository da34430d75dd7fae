// Head scores -> per-head KV capacities (ALGORITHMS.md §4.1-4.2 for HeadKV, §3 for Ada-SnapKV's
// floor), in float64 with round-half-even exactly as the reference. Results are plain int32
// vectors, layer-major, which model/ takes as std::span<const int32_t>.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "head_scores/score_file.h"

namespace hkv::head_scores {

// Every pipeline of the reference uses an observation window of 8 tokens.
inline constexpr int32_t kDefaultWindow = 8;

// The §4.2 split of one head's C = B − w selected tokens for a given β.
struct PoolSplit {
  int32_t selected = 0;  // C = B − w
  double quota = 0;      // q = C // β (Python float floor division): each head's share of the pool
  double min_num = 0;    // C − q: the uniform floor every head keeps
  double pool = 0;       // q · num_layers · num_heads: the global pool shared by all heads
};

// Computes the split; `num_heads_total` = num_layers · num_q_heads (1024 for the 8B models).
// InvalidArgument for β < 1 (the reference would go negative), B ≤ w, or a non-positive count.
Result<PoolSplit> headkv_pool_split(int32_t budget,
                                    double beta,
                                    int32_t window,
                                    int64_t num_heads_total);

// Python's float floor division `a // b` (CPython float_divmod, including its snap-to-integer),
// which is not always floor(a / b).
double python_floor_div(double a, double b);

// Rounds half to even independently of the FPU rounding mode (torch.round semantics).
double round_half_even(double x);

// The importance distribution of §4.1 steps 2-3: p = s / Σs (Σ summed sequentially, as Python's
// sum over numpy float64 values), then p ← p^temp, p ← p / Σp. InvalidArgument when temp is not a
// positive finite number, a mean is negative or not finite, or every mean is 0.
Result<std::vector<double>> normalized_scores(std::span<const double> means, double temp);

// Per-(layer, query head) capacities of HeadKV, layer-major [num_layers · num_heads].
struct HeadCapacities {
  int32_t num_layers = 0;
  int32_t num_heads = 0;  // query heads per layer (reference layout)
  PoolSplit split;
  std::vector<int32_t> caps;

  int32_t cap(int32_t layer, int32_t head) const {
    return caps[static_cast<size_t>(layer) * num_heads + head];
  }

  int64_t total() const;  // Σ cap
};

// cap = int32(round_half_even(P · pool + min_num)), §4.2. Caps may exceed any prompt length; the
// engine keeps min(cap, N) per head. OutOfRange if a cap would not fit int32.
Result<HeadCapacities> headkv_capacities(const HeadScoreTable& table,
                                         int32_t budget,
                                         double beta,
                                         double temp,
                                         int32_t window = kDefaultWindow);

// The `gqa` layout (project decision 2): KV head g of a layer owns query heads g·G .. g·G+G−1
// (G = num_q_heads / num_kv_heads, the reference's h // G mapping), and its capacity is the mean
// of theirs, rounded half-even (computed exactly in integers). `caps` is [num_layers ·
// num_q_heads]; the result is [num_layers · num_kv_heads]. InvalidArgument when the sizes do not
// divide.
Result<std::vector<int32_t>> gqa_capacities(std::span<const int32_t> caps,
                                            int32_t num_q_heads,
                                            int32_t num_kv_heads);

// Ada-SnapKV's per-head floor, int((B − w) · floor) truncated (§3): B = 128 -> 24. The reference
// multiplies the Python float 0.2, so 64 -> 11, 256 -> 49, 512 -> 100, 1024 -> 203.
Result<int32_t> ada_snapkv_floor(int32_t budget,
                                 int32_t window = kDefaultWindow,
                                 double floor = 0.2);

}  // namespace hkv::head_scores
