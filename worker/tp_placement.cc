// Placement from capacity tables: loads per KV head summed over the batch's tables, then the
// balanced placement and its imbalance beside the contiguous one's.
#include "worker/tp_placement.h"

#include "common/strings.h"
#include "head_scores/placement.h"

namespace hkv::worker {

std::string TpPlan::summary() const {
  if (!balanced) {
    return strformat("TP=%d, contiguous KV-head placement (no per-head budgets to balance)", ranks);
  }
  return strformat(
      "TP=%d, balanced KV-head placement: slowest rank %.2fx the mean (contiguous "
      "%.2fx)",
      ranks, imbalance, contiguous_imbalance);
}

Result<TpPlan> plan_tensor_parallel(const model::LlamaConfig& config,
                                    int32_t ranks,
                                    const std::vector<std::vector<int32_t>>& caps) {
  TpPlan plan;
  plan.ranks = ranks;
  HKV_ASSIGN_OR_RETURN(
      head_scores::HeadPlacement contiguous,
      head_scores::contiguous_placement(config.num_layers, config.num_kv_heads, ranks));
  HKV_ASSIGN_OR_RETURN(std::vector<int64_t> loads,
                       head_scores::sum_kv_head_loads(caps, config.num_layers, config.num_q_heads,
                                                      config.num_kv_heads));
  bool any = false;
  for (int64_t load : loads) {
    any = any || load > 0;
  }
  if (!any) {
    plan.order = contiguous.order;
    return plan;
  }
  HKV_ASSIGN_OR_RETURN(
      head_scores::HeadPlacement balanced,
      head_scores::balanced_placement(loads, config.num_layers, config.num_kv_heads, ranks));
  plan.balanced = true;
  plan.order = balanced.order;
  plan.imbalance = head_scores::placement_imbalance(balanced, loads);
  plan.contiguous_imbalance = head_scores::placement_imbalance(contiguous, loads);
  return plan;
}

}  // namespace hkv::worker
