// `headkv heads budget SCORES --budget B --beta β`: the HeadKV capacity table, rows "L00: c0 c1 …"
// laid out like the ALGORITHMS.md §4.2 test vector, so a run can be diffed against the spec.
#include "cli/heads.h"

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/strings.h"
#include "head_scores/budget.h"
#include "head_scores/score_file.h"

namespace hkv::cli {
namespace {

// What gets printed: per query head (reference layout) or per KV head (gqa layout).
struct BudgetReport {
  std::string path;
  head_scores::PoolSplit split;
  int32_t num_layers = 0;
  int32_t num_columns = 0;    // query heads, or KV heads in the gqa layout
  std::vector<int32_t> caps;  // [num_layers * num_columns]
  int64_t sum = 0;
  size_t max_index = 0;  // first maximum in layer-major order
};

Status validate_choices(const HeadsBudgetOptions& options) {
  if (options.layout != "reference" && options.layout != "gqa") {
    return errorf(StatusCode::kInvalidArgument, "unknown layout '%s' (expected reference or gqa)",
                  options.layout.c_str());
  }
  if (options.format != "table" && options.format != "json") {
    return errorf(StatusCode::kInvalidArgument, "unknown format '%s' (expected table or json)",
                  options.format.c_str());
  }
  // The KV-head count is not in the score file (it only has query heads), so it is never guessed.
  if (options.layout == "gqa" && options.kv_heads <= 0) {
    return Status(StatusCode::kInvalidArgument,
                  "--kv-heads is required with --layout gqa (8 for Llama-3-8B and Mistral-7B)");
  }
  if (options.layout == "reference" && options.kv_heads != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "--kv-heads %d applies only to --layout gqa (reference budgets query heads)",
                  options.kv_heads);
  }
  return Status::ok_status();
}

Result<BudgetReport> compute_report(const HeadsBudgetOptions& options) {
  HKV_RETURN_IF_ERROR(validate_choices(options));
  BudgetReport report;
  HKV_ASSIGN_OR_RETURN(report.path, head_scores::resolve_score_path(options.scores, options.model));
  HKV_ASSIGN_OR_RETURN(head_scores::HeadScoreTable table,
                       head_scores::load_score_file(report.path));
  HKV_ASSIGN_OR_RETURN(head_scores::HeadCapacities caps,
                       head_scores::headkv_capacities(table, options.budget, options.beta,
                                                      options.temp, options.window));
  report.split = caps.split;
  report.num_layers = caps.num_layers;
  report.num_columns = caps.num_heads;
  report.caps = std::move(caps.caps);
  if (options.layout == "gqa") {
    HKV_ASSIGN_OR_RETURN(report.caps, head_scores::gqa_capacities(report.caps, report.num_columns,
                                                                  options.kv_heads));
    report.num_columns = options.kv_heads;
  }
  for (size_t i = 0; i < report.caps.size(); ++i) {
    report.sum += report.caps[i];
    if (report.caps[i] > report.caps[report.max_index]) {
      report.max_index = i;
    }
  }
  return report;
}

void print_table(const BudgetReport& r, const HeadsBudgetOptions& options) {
  std::printf("# scores: %s\n", r.path.c_str());
  std::printf("# layout: %s, %d layers x %d %s heads\n", options.layout.c_str(), r.num_layers,
              r.num_columns, options.layout == "gqa" ? "KV" : "query");
  std::printf("# B=%d w=%d C=%d beta=%g temp=%g quota=%.0f\n", options.budget, options.window,
              r.split.selected, options.beta, options.temp, r.split.quota);
  for (int32_t layer = 0; layer < r.num_layers; ++layer) {
    std::string row = strformat("L%02d:", layer);
    for (int32_t head = 0; head < r.num_columns; ++head) {
      row += ' ';
      row += std::to_string(r.caps[static_cast<size_t>(layer) * r.num_columns + head]);
    }
    std::printf("%s\n", row.c_str());
  }
  std::printf("sum: %lld\n", static_cast<long long>(r.sum));
  std::printf("min_num: %.0f\n", r.split.min_num);
  std::printf("pool: %.0f\n", r.split.pool);
  std::printf("max: %d at %zu-%zu\n", r.caps[r.max_index],
              r.max_index / static_cast<size_t>(r.num_columns),
              r.max_index % static_cast<size_t>(r.num_columns));
}

void print_json(const BudgetReport& r, const HeadsBudgetOptions& options) {
  using OrderedJson = nlohmann::ordered_json;
  OrderedJson rows = OrderedJson::array();
  for (int32_t layer = 0; layer < r.num_layers; ++layer) {
    auto begin = r.caps.begin() + static_cast<ptrdiff_t>(layer) * r.num_columns;
    rows.push_back(std::vector<int32_t>(begin, begin + r.num_columns));
  }
  OrderedJson out;
  out["layers"] = r.num_layers;
  out["heads"] = r.num_columns;
  out["caps"] = std::move(rows);
  out["sum"] = r.sum;
  // Integral by construction (q is a floor), so they are written as integers.
  out["min_num"] = static_cast<int64_t>(r.split.min_num);
  out["pool"] = static_cast<int64_t>(r.split.pool);
  out["max"] = {{"cap", r.caps[r.max_index]},
                {"layer", r.max_index / static_cast<size_t>(r.num_columns)},
                {"head", r.max_index % static_cast<size_t>(r.num_columns)}};
  out["layout"] = options.layout;
  out["budget"] = options.budget;
  out["window"] = options.window;
  out["beta"] = options.beta;
  out["temp"] = options.temp;
  out["scores"] = r.path;
  // error_handler_t::replace: a non-UTF-8 path must not make dump() throw.
  std::printf("%s\n", out.dump(-1, ' ', false, OrderedJson::error_handler_t::replace).c_str());
}

}  // namespace

int run_heads_budget(const HeadsBudgetOptions& options) {
  Result<BudgetReport> report = compute_report(options);
  if (!report.ok()) {
    std::fprintf(stderr, "headkv heads budget: %s\n", report.status().to_string().c_str());
    return 1;
  }
  if (options.format == "json") {
    print_json(*report, options);
  } else {
    print_table(*report, options);
  }
  return 0;
}

}  // namespace hkv::cli
