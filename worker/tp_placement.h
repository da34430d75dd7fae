// Tensor-parallel head placement for a batch of configs (M11): KV-head groups go to ranks so that
// the HeadKV capacities (cache bytes and attention work) per rank are as even as possible for the
// batch's capacity tables (head_scores/placement.h); contiguous when no config has per-head
// budgets. The engine gathers weight rows by the result at load time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "formats/config.h"

namespace hkv::worker {

struct TpPlan {
  int32_t ranks = 1;
  std::vector<std::vector<int32_t>> order;  // [layer][slot]: model::EngineOptions::head_order
  bool balanced = false;                    // false: contiguous (no per-head budgets)
  double imbalance = 1.0;                   // slowest rank / mean, summed over layers
  double contiguous_imbalance = 1.0;        // the same for contiguous placement
  // "TP=2, balanced KV-head placement: slowest rank 1.06x the mean (contiguous 1.38x)".
  std::string summary() const;
};

// `caps`: resolve_head_caps's tables for the configs the model will run (empty ones skipped).
Result<TpPlan> plan_tensor_parallel(const model::LlamaConfig& config,
                                    int32_t ranks,
                                    const std::vector<std::vector<int32_t>>& caps);

}  // namespace hkv::worker
