// Aggregates per-sample results into the paper's tables: LongBench (rows = configs, columns =
// datasets + Avg), needle (per config: length x depth heatmap scores, SVG, overall), BABILong
// (per config: task x split). Every row names its full run parameters (the config label).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace hkv::cli {

struct ResultRecord {
  std::string benchmark;  // "longbench" | "needle" | "babilong"
  std::string dataset;
  std::string sample_key;
  std::string config;  // label with every run parameter
  std::string prediction;
  double score = 0.0;
  int64_t cache_bytes = 0;
};

struct RenderedTables {
  std::string markdown;
  std::string csv;
  std::string json;
  std::vector<std::pair<std::string, std::string>> svgs;  // file name, contents
};

RenderedTables render_tables(const std::vector<ResultRecord>& records);

// Writes tables.md, tables.csv, tables.json and the heatmaps into `dir` (created).
Status write_tables(const RenderedTables& tables, const std::string& dir);

}  // namespace hkv::cli
