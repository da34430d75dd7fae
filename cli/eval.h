// `headkv eval`: one process, one benchmark, a grid of configs; every sample is prefilled once and
// decoded with all configs. Writes predictions.jsonl (one line per sample x config), metrics.json
// and tables.md; resumable: samples already in predictions.jsonl are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hkv::cli {

struct EvalOptions {
  std::string model;
  std::string benchmark;              // longbench | needle | babilong
  std::vector<std::string> datasets;  // LongBench datasets / BABILong tasks
  std::vector<std::string> splits = {"0k"};
  int32_t limit = 0;                                  // first N samples per dataset (0: all)
  std::vector<int32_t> lengths = {1000, 4000, 1000};  // needle start, stop (inclusive), step
  int32_t depths = 5;
  std::vector<std::string> methods = {"FullKV"};
  std::vector<int32_t> budgets = {128};
  std::vector<double> betas = {1.01};
  std::string head_scores;  // default: retrieval for HeadKV-R, reasoning for HeadKV-R2
  std::string layout = "reference";
  int32_t max_new_tokens = 0;
  std::string out_dir = "headkv-eval";
  std::string data_dir;         // explicit data root (common/paths.h); "" = the default search path
  std::string device = "auto";  // auto (cuda:0 when a GPU is visible, else cpu) | cpu | cuda:N
  std::string dtype = "f16";    // GPU compute dtype
  int32_t tp = 1;               // tensor-parallel ranks (CPU engine)
  bool random_weights = false;  // --random-weights: `model` is a folder with config.json
  // "": none; else the first sample this run decodes writes its per-config trace JSON here (the
  // generate --trace format plus the sample's id; CPU engine).
  std::string trace;
};

int run_eval(const EvalOptions& options);

}  // namespace hkv::cli
