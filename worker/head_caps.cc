// Score tables are loaded once per distinct file, then capacities are computed per config.
#include "worker/head_caps.h"

#include <map>

#include "head_scores/budget.h"
#include "head_scores/score_file.h"

namespace hkv::worker {

Result<std::vector<std::vector<int32_t>>> resolve_head_caps(
    const model::LlamaConfig& config,
    const std::string& model_hint,
    const std::vector<model::CompressionConfig>& configs) {
  std::map<std::string, head_scores::HeadScoreTable> tables;
  std::vector<std::vector<int32_t>> out;
  for (const model::CompressionConfig& cc : configs) {
    HKV_RETURN_IF_ERROR(cc.validate().with_context("config '%s'", cc.label().c_str()));
    if (!model::uses_head_scores(cc.method)) {
      out.emplace_back();
      continue;
    }
    HKV_ASSIGN_OR_RETURN(std::string path,
                         head_scores::resolve_score_path(cc.head_scores, model_hint));
    auto it = tables.find(path);
    if (it == tables.end()) {
      HKV_ASSIGN_OR_RETURN(head_scores::HeadScoreTable table, head_scores::load_score_file(path));
      if (table.num_layers != config.num_layers || table.num_heads != config.num_q_heads) {
        return errorf(StatusCode::kInvalidArgument,
                      "score file '%s' is %d layers x %d heads, but the model '%s' has %d layers x "
                      "%d query heads",
                      path.c_str(), table.num_layers, table.num_heads, config.model_name.c_str(),
                      config.num_layers, config.num_q_heads);
      }
      it = tables.emplace(path, std::move(table)).first;
    }
    HKV_ASSIGN_OR_RETURN(
        head_scores::HeadCapacities caps,
        head_scores::headkv_capacities(it->second, cc.budget, cc.beta, cc.temp, cc.window));
    if (cc.layout == model::CacheLayout::kGqa) {
      HKV_ASSIGN_OR_RETURN(
          std::vector<int32_t> pooled,
          head_scores::gqa_capacities(caps.caps, config.num_q_heads, config.num_kv_heads));
      out.push_back(std::move(pooled));
    } else {
      out.push_back(std::move(caps.caps));
    }
  }
  return out;
}

}  // namespace hkv::worker
