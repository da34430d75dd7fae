// Table aggregation. LongBench cells are eval.py's dataset scores (100 x mean, round-half-even to
// 2 decimals); BABILong cells are 100 x accuracy; needle cells are the heatmap word-set recall.
#include "results/result_tables.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/json.h"
#include "common/strings.h"
#include "metrics/metrics.h"
#include "results/needle_heatmap.h"
#include "results/tidy_results.h"

namespace hkv::results {
namespace {

using Grid =
    std::map<std::string, std::map<std::string, std::vector<double>>>;  // row -> col -> scores

// A table row's cost beside its accuracy: cache memory per sample and decode speed.
struct RowCost {
  int64_t cache_bytes = 0;
  int64_t samples = 0;
  double decode_ms = 0.0;
  int64_t steps = 0;  // the tasks' decode steps

  void add(const ResultRecord& r, int32_t task_steps) {
    cache_bytes += r.cache_bytes;
    ++samples;
    decode_ms += r.decode_ms;
    steps += task_steps;
  }
};

// Rows of a table: the paper's config order (tidy_results.h), not the labels' alphabet.
struct TableRows {
  std::map<std::string, ConfigOrder> order;  // label -> order
  std::map<std::string, RowCost> cost;       // label -> cost

  std::vector<std::string> sorted(const Grid& grid) const {
    std::vector<std::string> rows;
    for (const auto& [row, c] : grid) {
      rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end(), [&](const std::string& a, const std::string& b) {
      return order.at(a) < order.at(b);
    });
    return rows;
  }
};

std::string cell(const std::vector<double>& v, bool longbench) {
  if (v.empty()) {
    return "-";
  }
  if (longbench) {
    auto s = jobs::longbench_dataset_score(v);
    return s.ok() ? jobs::format_score_cell(*s) : "-";
  }
  double sum = 0;
  for (double x : v) {
    sum += x;
  }
  return strformat("%.2f", 100.0 * sum / static_cast<double>(v.size()));
}

void table(const std::string& title,
           const Grid& grid,
           const TableRows& rows,
           bool longbench,
           RenderedTables* out,
           Json* json) {
  std::set<std::string> cols;
  for (const auto& [row, c] : grid) {
    for (const auto& [col, v] : c) {
      cols.insert(col);
    }
  }
  out->markdown += "\n### " + title + "\n\n| config |";
  for (const auto& c : cols) {
    out->markdown += " " + c + " |";
  }
  out->markdown += " Avg. | cache MiB/sample | batch decode ms/step |\n|---|";
  for (size_t i = 0; i <= cols.size() + 2; ++i) {
    out->markdown += "---|";
  }
  out->markdown += "\n";
  for (const std::string& row : rows.sorted(grid)) {
    const auto& c = grid.at(row);
    out->markdown += "| " + row + " |";
    double avg = 0;
    int n = 0;
    Json jrow = Json::object();
    for (const auto& col : cols) {
      auto it = c.find(col);
      std::string v = it == c.end() ? "-" : cell(it->second, longbench);
      out->markdown += " " + v + " |";
      out->csv += title + "," + row + "," + col + "," + v + "\n";
      if (v != "-") {
        avg += std::stod(v);
        ++n;
        jrow[col] = std::stod(v);
      }
    }
    std::string a = n ? jobs::format_score_cell(jobs::python_round(avg / n, 2)) : "-";
    const RowCost& cost = rows.cost.at(row);
    const double mib = static_cast<double>(cost.cache_bytes) /
                       static_cast<double>(std::max<int64_t>(1, cost.samples)) / (1 << 20);
    std::string speed =
        cost.steps > 0 ? strformat("%.2f", cost.decode_ms / static_cast<double>(cost.steps)) : "-";
    out->markdown += " " + a + " | " + strformat("%.2f", mib) + " | " + speed + " |\n";
    jrow["cache_mib_per_sample"] = mib;
    if (cost.steps > 0) {
      jrow["batch_decode_ms_per_step"] = cost.decode_ms / static_cast<double>(cost.steps);
    }
    (*json)[title][row] = jrow;
  }
}

}  // namespace

RenderedTables render_tables(const std::vector<ResultRecord>& records,
                             const std::vector<FailedTask>& failed) {
  RenderedTables out;
  Json json = Json::object();
  Grid longbench, babilong, needle_summary;
  std::map<std::string, TableRows> rows;  // table -> its rows' order and cost
  const std::map<std::string, int32_t> steps = task_decode_steps(records);
  std::map<std::string, std::map<std::string, std::vector<double>>>
      needle_cells;  // config -> "len:depth"
  for (const ResultRecord& r : records) {
    if (r.benchmark != "heads") {
      TableRows& t = rows[r.benchmark];
      t.order.emplace(r.config, config_order(r));
      t.cost[r.config].add(r, steps.at(task_key(r)));
    }
    if (r.benchmark == "longbench") {
      longbench[r.config][r.dataset].push_back(r.score);
    } else if (r.benchmark == "babilong") {
      std::string split = r.sample_key.substr(0, r.sample_key.find(':'));
      babilong[r.config][r.dataset + "/" + split].push_back(r.score);
    } else if (r.benchmark == "needle") {
      double heat = jobs::needle_heatmap_score(r.prediction);
      needle_cells[r.config][r.sample_key].push_back(heat);
      needle_summary[r.config]["heatmap (x100)"].push_back(heat);
      needle_summary[r.config]["ROUGE-1 F x10 (x100)"].push_back(r.score / 10.0);
    }
  }
  out.markdown = "# headkv results\n";
  if (!longbench.empty()) {
    table("LongBench", longbench, rows["longbench"], true, &out, &json);
  }
  if (!babilong.empty()) {
    table("BABILong", babilong, rows["babilong"], false, &out, &json);
  }
  if (!needle_summary.empty()) {
    table("Needle-in-a-haystack", needle_summary, rows["needle"], false, &out, &json);
  }
  // Heatmaps in the tables' row order: one figure per config, and all of them side by side.
  std::vector<HeatmapPanel> panels;
  for (const std::string& config : rows["needle"].sorted(needle_summary)) {
    panels.push_back({config, needle_cells[config]});
    out.files.emplace_back(strformat("needle_%zu.svg", panels.size()),
                           needle_heatmap_svg(panels.back()));
  }
  if (!panels.empty()) {
    out.files.emplace_back("needle_all.svg", needle_heatmaps_svg(panels));
  }
  render_head_scores(records, &out, &json);
  render_failures(failed, &out.markdown, &out.csv, &json);
  out.csv = "table,config,column,score\n" + out.csv;
  out.json = dump_json(json, 2);
  return out;
}

Status write_tables(const RenderedTables& t, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return errorf(StatusCode::kFailedPrecondition, "cannot create %s: %s", dir.c_str(),
                  ec.message().c_str());
  }
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"tables.md", t.markdown}, {"tables.csv", t.csv}, {"tables.json", t.json}}) {
    HKV_RETURN_IF_ERROR(write_text_file(dir + "/" + name, text));
  }
  for (const auto& [name, text] : t.files) {
    HKV_RETURN_IF_ERROR(write_text_file(dir + "/" + name, text));
  }
  return Status();
}

std::string task_key(const ResultRecord& r) {
  return r.benchmark + "/" + r.dataset + "/" + r.sample_key;
}

std::map<std::string, int32_t> task_decode_steps(const std::vector<ResultRecord>& records) {
  std::map<std::string, int32_t> out;
  for (const ResultRecord& r : records) {
    int32_t& steps = out[task_key(r)];
    steps = std::max(steps, r.new_tokens);
  }
  return out;
}

Status write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) {
    return errorf(StatusCode::kDataLoss, "cannot write %s", path.c_str());
  }
  return Status();
}

Status write_records_jsonl(const std::vector<ResultRecord>& records, const std::string& path) {
  std::ofstream out(path);
  for (const ResultRecord& r : records) {
    Json line = {{"benchmark", r.benchmark},
                 {"dataset", r.dataset},
                 {"sample_key", r.sample_key},
                 {"config", r.config},
                 {"prediction", r.prediction},
                 {"references", r.references},
                 {"score", r.score},
                 {"cache_bytes", r.cache_bytes},
                 {"prompt_tokens", r.prompt_tokens},
                 {"new_tokens", r.new_tokens},
                 {"prefill_ms", r.prefill_ms},
                 {"decode_ms", r.decode_ms}};
    if (r.head_scores) {
      line["head_scores"] = r.head_scores->scores;
    }
    out << dump_json(line) << '\n';
  }
  out.flush();
  if (!out) {
    return errorf(StatusCode::kDataLoss, "cannot write %s", path.c_str());
  }
  return Status();
}

}  // namespace hkv::results
