// `headkv heads budget`: HeadKV's static per-head KV capacities (ALGORITHMS.md §4.2) for a score
// file, budget and β, printed as a layer-by-head table or as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "head_scores/score_file.h"

namespace hkv::cli {

struct HeadsBudgetOptions {
  // A score-file path, or the alias `retrieval` (HeadKV-R) / `reasoning` (HeadKV-R2), which
  // names the reference file in $HEADKV_DATA_DIR/head_scores/ for the family in `model`.
  std::string scores;
  std::string model;   // model-name hint for the aliases: must contain "llama" or "mistral"
  int32_t budget = 0;  // B, average stored entries per head including the window (> window)
  double beta = 0.0;   // β >= 1 (required)
  double temp = 1.0;   // > 0, sharpening exponent on the normalised scores
  int32_t window = 8;  // w, the observation window every reference pipeline uses
  std::string layout = "reference";  // reference (per query head) | gqa (per KV head)
  int32_t kv_heads = 0;              // KV heads per layer; required with layout gqa
  std::string format = "table";      // table | json
};

// Prints to stdout; errors go to stderr as "headkv heads budget: <status>". Returns the process
// exit code: 0 on success, 1 on any error.
int run_heads_budget(const HeadsBudgetOptions& options);

struct HeadsShowOptions {
  std::string scores;  // file, or retrieval|reasoning with `model`
  std::string model;
  int top = 10;
  std::string svg;  // heatmap output path; empty: none
};

// Prints the distribution summary; writes the heatmap SVG when asked. Exit code 0 / 1.
int run_heads_show(const HeadsShowOptions& options);

struct HeadsDetectOptions {
  std::string model;
  std::string kind = "retrieval";  // retrieval | retrieval-reasoning
  std::string haystack_dir;        // default: <data>/retrieval_haystack/haystack_for_detect[_r2]
  std::string data_dir;            // --data-dir: searched first for retrieval_haystack/
  std::vector<int64_t> lengths = {0, 500, 1000, 1500, 2000};
  int32_t depths = 10;  // round(linspace(0, 100, depths))
  int32_t max_decode_steps = 50;
  int32_t reasoning_steps = 0;  // 0: the answer's length (the reference)
  double min_score = 50.0;      // keep tests scoring above this (the reference: 50)
  std::string device = "auto";  // auto (cuda:0 when a GPU is visible) | cpu | cuda:N
  std::string dtype = "bf16";   // GPU dtype: detection runs in bf16 in the reference (§9)
  std::string out;
};

// Runs the needle tests on the CPU or GPU engine and writes the score file. Exit code 0 / 1.
int run_heads_detect(const HeadsDetectOptions& options);

}  // namespace hkv::cli
