// `headkv generate`: one prompt, one or more compression configs sharing one prefill, decoded
// together; prints each config's continuation, per-layer cache entries/bytes and timings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  std::string head_scores = "reasoning";  // HeadKV-R defaults to retrieval when left as is
  std::string layout = "reference";
  int32_t max_new_tokens = 64;
  int32_t min_new_tokens = 0;
  std::vector<int32_t> stop_ids;  // default: the model's EOS ids
  bool per_layer = false;         // print the per-layer cache table for every config
};

int run_generate(const GenerateOptions& options);

}  // namespace hkv::cli
