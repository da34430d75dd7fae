// Tidy long-format results: the tables' cells, one row each, with every run parameter split out.
#include "results/tidy_results.h"

#include <map>

#include "benchmarks/benchmark_scoring.h"
#include "common/json.h"
#include "common/strings.h"
#include "metrics/metrics.h"

namespace hkv::results {
namespace {

using compression::CompressionConfig;
using compression::Method;

bool uses_budget(Method m) {
  return m != Method::kFullKv;
}

// One cell's accumulated samples.
struct Cell {
  std::vector<double> scores;  // per sample, as the metric wants them
  int64_t cache_bytes = 0;
  double prefill_ms = 0.0;
  double decode_ms = 0.0;
  int64_t steps = 0;                    // the tasks' decode steps
  const ResultRecord* first = nullptr;  // the config's fields
};

// (config order, benchmark, dataset, split, length, depth, metric)
using CellKey =
    std::tuple<ConfigOrder, std::string, std::string, std::string, int64_t, int64_t, std::string>;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

void add(std::map<CellKey, Cell>& cells,
         const CellKey& key,
         const ResultRecord& r,
         int32_t task_steps,
         double score) {
  Cell& c = cells[key];
  c.scores.push_back(score);
  c.cache_bytes += r.cache_bytes;
  c.prefill_ms += r.prefill_ms;
  c.decode_ms += r.decode_ms;
  c.steps += task_steps;
  if (c.first == nullptr) {
    c.first = &r;
  }
}

}  // namespace

ConfigOrder config_order(const ResultRecord& r) {
  if (!r.cfg) {
    return {99, 0, 0.0, 0.0, 0, 0, 0, 0, std::string(), r.config};
  }
  const CompressionConfig& c = *r.cfg;
  return {static_cast<int>(c.method),
          c.budget,
          c.beta,
          c.temp,
          static_cast<int>(c.layout),
          c.window,
          c.kernel,
          static_cast<int>(c.pooling),
          c.head_scores,
          r.config};
}

const std::vector<std::string>& tidy_columns() {
  static const std::vector<std::string> kColumns = {"sweep",
                                                    "sweep_name",
                                                    "model",
                                                    "config",
                                                    "method",
                                                    "budget",
                                                    "beta",
                                                    "temp",
                                                    "layout",
                                                    "window",
                                                    "kernel",
                                                    "pooling",
                                                    "head_scores",
                                                    "benchmark",
                                                    "dataset",
                                                    "split",
                                                    "length",
                                                    "depth",
                                                    "metric",
                                                    "score",
                                                    "samples",
                                                    "mean_cache_bytes",
                                                    "mean_prefill_ms",
                                                    "batch_decode_ms_per_step"};
  return kColumns;
}

TidyResults render_tidy(const std::vector<ResultRecord>& records, const SweepInfo& sweep) {
  std::map<CellKey, Cell> cells;
  const std::map<std::string, int32_t> steps = task_decode_steps(records);
  for (const ResultRecord& r : records) {
    const ConfigOrder order = config_order(r);
    const int32_t n = steps.at(task_key(r));
    if (r.benchmark == "longbench") {
      Result<jobs::LongBenchMetric> metric = jobs::longbench_dataset_metric(r.dataset);
      std::string name = metric.ok() ? jobs::longbench_metric_name(*metric) : "score";
      add(cells, {order, r.benchmark, r.dataset, "", -1, -1, name}, r, n, r.score);
    } else if (r.benchmark == "babilong") {
      std::string split = r.sample_key.substr(0, r.sample_key.find(':'));
      add(cells, {order, r.benchmark, r.dataset, split, -1, -1, "accuracy"}, r, n, r.score);
    } else if (r.benchmark == "needle") {
      size_t colon = r.sample_key.find(':');
      int64_t length = std::stoll(r.sample_key.substr(0, colon));
      int64_t depth = std::stoll(r.sample_key.substr(colon + 1));
      add(cells, {order, r.benchmark, r.dataset, "", length, depth, "heatmap"}, r, n,
          jobs::needle_heatmap_score(r.prediction));
      add(cells, {order, r.benchmark, r.dataset, "", length, depth, "rouge1_f_x10"}, r, n,
          r.score / 10.0);
    }
  }
  TidyResults out;
  for (size_t i = 0; i < tidy_columns().size(); ++i) {
    out.csv += (i ? "," : "") + tidy_columns()[i];
  }
  out.csv += "\n";
  for (const auto& [key, c] : cells) {
    const auto& [order, benchmark, dataset, split, length, depth, metric] = key;
    const ResultRecord& r = *c.first;
    // The tables' cell value, formatted as they format it.
    std::string score;
    if (benchmark == "longbench") {
      Result<double> s = jobs::longbench_dataset_score(c.scores);
      score = s.ok() ? jobs::format_score_cell(*s) : "";
    } else {
      double sum = 0;
      for (double x : c.scores) {
        sum += x;
      }
      score = strformat("%.2f", 100.0 * sum / static_cast<double>(c.scores.size()));
    }
    const auto n = static_cast<double>(c.scores.size());
    Json row = Json::object();
    row["sweep"] = sweep.id;
    row["sweep_name"] = sweep.name;
    row["model"] = sweep.model;
    row["config"] = r.config;
    if (r.cfg) {
      const CompressionConfig& cfg = *r.cfg;
      row["method"] = compression::method_name(cfg.method);
      row["budget"] = uses_budget(cfg.method) ? Json(cfg.budget) : Json();
      row["beta"] = compression::uses_head_scores(cfg.method) ? Json(cfg.beta) : Json();
      row["temp"] = compression::uses_head_scores(cfg.method) ? Json(cfg.temp) : Json();
      row["layout"] = compression::cache_layout_name(cfg.layout);
      row["window"] = uses_budget(cfg.method) ? Json(cfg.window) : Json();
      row["kernel"] = uses_budget(cfg.method) ? Json(cfg.kernel) : Json();
      row["pooling"] =
          uses_budget(cfg.method) ? Json(compression::pooling_name(cfg.pooling)) : Json();
      row["head_scores"] =
          compression::uses_head_scores(cfg.method) ? Json(cfg.head_scores) : Json();
    }
    row["benchmark"] = benchmark;
    row["dataset"] = dataset;
    row["split"] = split.empty() ? Json() : Json(split);
    row["length"] = length >= 0 ? Json(length) : Json();
    row["depth"] = depth >= 0 ? Json(depth) : Json();
    row["metric"] = metric;
    row["score"] = score.empty() ? Json() : Json(std::stod(score));
    row["samples"] = static_cast<int64_t>(c.scores.size());
    row["mean_cache_bytes"] = static_cast<double>(c.cache_bytes) / n;
    row["mean_prefill_ms"] = c.prefill_ms / n;
    row["batch_decode_ms_per_step"] =
        c.steps > 0 ? Json(c.decode_ms / static_cast<double>(c.steps)) : Json();
    out.jsonl += dump_json(row) + "\n";
    std::string line;
    for (size_t i = 0; i < tidy_columns().size(); ++i) {
      const std::string& col = tidy_columns()[i];
      const Json& v = row.contains(col) ? row[col] : Json();
      std::string text = col == "score"        ? score
                         : v.is_null()         ? ""
                         : v.is_string()       ? v.get<std::string>()
                         : v.is_number_float() ? strformat("%.10g", v.get<double>())
                                               : dump_json(v);
      line += (i ? "," : "") + csv_field(text);
    }
    out.csv += line + "\n";
  }
  return out;
}

}  // namespace hkv::results
