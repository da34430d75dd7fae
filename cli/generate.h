// `headkv generate`: one prompt, one or more compression configs sharing one prefill, decoded
// together; prints each config's continuation, per-layer cache entries/bytes and timings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "cpu_engine/generate.h"
#include "tokenizer/tokenizer.h"

namespace hkv::cli {

struct GenerateOptions {
  std::string model;
  std::optional<std::string> prompt;
  std::optional<std::string> prompt_file;
  bool chat = false;
  std::optional<std::string> chat_template;
  std::vector<std::string> methods = {"FullKV"};
  std::vector<int32_t> budgets = {128};
  std::vector<double> betas = {1.01};
  double temp = 1.0;
  std::string head_scores;  // "": each method's own (compression::default_head_scores)
  std::string layout = "reference";
  int32_t max_new_tokens = 64;
  int32_t min_new_tokens = 0;
  std::vector<int32_t> stop_ids;  // default: the model's EOS ids
  bool per_layer = false;         // print the per-layer cache table for every config
  int32_t tp = 1;                 // tensor-parallel ranks (threads; cpu_engine/tensor_parallel.h)
  bool random_weights = false;    // --random-weights: `model` is a folder with config.json
  std::string trace;              // "": none; else write the per-config trace JSON here
};

// The trace JSON of `headkv generate --trace`: per config its label, each (layer, head)'s
// capacity (kept entries, window included) and kept prompt positions in score order (then the
// window), and the first decode step's top-10 logits with their token text.
Json trace_to_json(const model::Tokenizer& tokenizer,
                   const model::MultiRun& run,
                   const std::vector<model::ConfigTrace>& trace);

int run_generate(const GenerateOptions& options);

}  // namespace hkv::cli
