// Capacity-balanced placement of KV-head groups on tensor-parallel ranks (M11): with HeadKV's
// per-head budgets the heads' caches differ a lot in size, so contiguous head ranges give the ranks
// very uneven caches and attention work, and every decode step waits for the slowest rank. Each
// layer's KV heads are dealt to ranks, the same number per rank (the GEMM shards stay equal), so
// that the largest rank load is as small as possible. Weight rows are permuted by the placement at
// load time: nothing moves at run time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "head_scores/budget.h"

namespace hkv::head_scores {

struct HeadPlacement {
  int32_t num_layers = 0;
  int32_t num_kv_heads = 0;
  int32_t ranks = 0;
  // [layer][slot]: rank r owns the KV heads order[layer][r * per_rank .. (r + 1) * per_rank),
  // ascending within a rank.
  std::vector<std::vector<int32_t>> order;

  int32_t per_rank() const { return num_kv_heads / ranks; }

  int32_t rank_of(int32_t layer, int32_t kv_head) const;
};

// Heads 0..per_rank-1 on rank 0, and so on (Megatron's split). InvalidArgument unless ranks
// divides num_kv_heads.
Result<HeadPlacement> contiguous_placement(int32_t num_layers, int32_t num_kv_heads, int32_t ranks);

// `loads`: [num_layers * num_kv_heads] work per KV head (for example kv_head_loads, summed over the
// configs of a batch). Per layer, minimises the largest rank load (exact branch and bound for up to
// 16 heads, else the best of greedy and pairwise swaps); ties keep the contiguous order.
Result<HeadPlacement> balanced_placement(std::span<const int64_t> loads,
                                         int32_t num_layers,
                                         int32_t num_kv_heads,
                                         int32_t ranks);

// Σ_layers max_rank load / Σ_layers mean_rank load: 1 when every layer is perfectly even; the
// decode step's attention time relative to an even split (each layer ends with an all-reduce, so
// its slowest rank sets its pace).
double placement_imbalance(const HeadPlacement& placement, std::span<const int64_t> loads);

// A KV head's load under HeadKV's reference layout: the cache entries of its query heads
// (G = num_heads / num_kv_heads consecutive heads), [num_layers * num_kv_heads].
Result<std::vector<int64_t>> kv_head_loads(const HeadCapacities& caps, int32_t num_kv_heads);

// The KV-head loads of a batch's capacity tables, summed ([num_layers * num_kv_heads]): each table
// is [num_layers * num_q_heads] (reference layout: a KV head carries its G query heads) or
// [num_layers * num_kv_heads] (gqa); empty tables (methods without head scores, whose heads are
// all alike) are skipped. InvalidArgument names a table of any other size.
Result<std::vector<int64_t>> sum_kv_head_loads(const std::vector<std::vector<int32_t>>& tables,
                                               int32_t num_layers,
                                               int32_t num_q_heads,
                                               int32_t num_kv_heads);

}  // namespace hkv::head_scores
