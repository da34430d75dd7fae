// Aggregates per-sample results into the paper's tables: LongBench (rows = configs, columns =
// datasets + Avg), needle (per config: length x depth heatmap scores, SVG, overall), BABILong
// (per config: task x split). Every row names its full run parameters (the config label). Head
// detection results become one score file per kind (heads_<kind>.json, the HeadKV format) with
// its heatmap, and a table of tests run and kept.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "compression/config.h"
#include "jobs/heads_spec.h"
#include "results/failure_summary.h"

namespace hkv::results {

struct ResultRecord {
  std::string benchmark;  // "longbench" | "needle" | "babilong" | "heads"
  std::string dataset;
  std::string sample_key;
  std::string config;  // label with every run parameter
  // The config itself (unset when this build cannot read it: the label then says why).
  std::optional<compression::CompressionConfig> cfg;
  std::vector<std::string> references;  // the sample's reference answers
  std::string prediction;
  double score = 0.0;
  int64_t cache_bytes = 0;
  int64_t prompt_tokens = 0;
  int32_t new_tokens = 0;
  double prefill_ms = 0.0;  // the sample's prefill, shared by the task's configs
  double decode_ms = 0.0;   // the task's decode (all its configs in one batch)
  std::optional<jobs::HeadTestScores> head_scores;  // heads records
};

struct RenderedTables {
  std::string markdown;
  std::string csv;
  std::string json;
  // file name, contents: needle heatmaps, head score files and their heatmaps
  std::vector<std::pair<std::string, std::string>> files;
};

// Every record as one JSON object per line (benchmark, dataset, sample_key, config, prediction,
// references, score, cache_bytes, prompt_tokens, new_tokens, prefill_ms, decode_ms; heads records
// add head_scores) into `path`: the per-sample predictions, for error analysis.
Status write_records_jsonl(const std::vector<ResultRecord>& records, const std::string& path);

// `failed`: the sweep's failed tasks, summarised by cause after the tables (failure_summary.h).
RenderedTables render_tables(const std::vector<ResultRecord>& records,
                             const std::vector<FailedTask>& failed = {});

// The heads part of render_tables: per kind, the kept tests' scores in needle-major order (the
// order `headkv heads detect` appends them) as a score file. Adds the "Head detection" table to
// `out->markdown`/`csv`, files heads_<kind>.json and heads_<kind>.svg, and `json["Head
// detection"]`.
void render_head_scores(const std::vector<ResultRecord>& records, RenderedTables* out, Json* json);

// "benchmark/dataset/sample_key": the task a record belongs to.
std::string task_key(const ResultRecord& record);
// Each task's decode steps: the most tokens any of its configs generated. A task's configs decode
// together in one batch, so its decode time is shared: per-config decode speed is not separable,
// and the tables report the shared batch's ms per step.
std::map<std::string, int32_t> task_decode_steps(const std::vector<ResultRecord>& records);

// Writes `text` to `path` (DataLoss naming the path when it cannot).
Status write_text_file(const std::string& path, const std::string& text);

// Writes tables.md, tables.csv, tables.json and the heatmaps into `dir` (created).
Status write_tables(const RenderedTables& tables, const std::string& dir);

}  // namespace hkv::results
