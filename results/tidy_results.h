// Results people can analyse: tidy long-format rows (one per config x benchmark x dataset x cell x
// metric, every run parameter in its own column, with samples, cache memory and speed), per-sample
// predictions with their references, and the paper's config order shared with the tables.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "results/result_tables.h"

namespace hkv::results {

struct SweepInfo {
  int64_t id = 0;
  std::string name;
  std::string model;
};

// The paper's row order: FullKV, SnapKV, PyramidKV, Ada-SnapKV, HeadKV-R, HeadKV-R2, then budget,
// beta, temp, layout, window, kernel, pooling, head scores; configs this build cannot read last,
// by label.
using ConfigOrder =
    std::tuple<int, int32_t, double, double, int, int32_t, int32_t, int, std::string, std::string>;
ConfigOrder config_order(const ResultRecord& record);

// Column names of tidy.csv, in order (tidy.jsonl uses the same keys).
const std::vector<std::string>& tidy_columns();

struct TidyResults {
  std::string csv;    // header + one line per row (RFC 4180 quoting)
  std::string jsonl;  // one JSON object per row
};

// Aggregates `records` (heads records are left out: they have their score files) per (config,
// benchmark, dataset, cell) with the tables' scoring: LongBench cells are eval.py's dataset score
// (metric = the dataset's), BABILong cells are 100 x accuracy per split, needle cells are per
// (length, depth): the heatmap score and ROUGE-1 F, both x100 as in the needle table. Rows are in
// config order, then benchmark, dataset, cell, metric.
TidyResults render_tidy(const std::vector<ResultRecord>& records, const SweepInfo& sweep);

}  // namespace hkv::results
