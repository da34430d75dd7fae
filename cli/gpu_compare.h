// `headkv gpu-compare`: the GPU engine's correctness report on one prompt. Runs every config on
// the GPU with one shared prefill, writes the generated tokens and the first config's per-step
// logits (for tools/gpu/compare_transformers.py), and with --cpu-overlap compares each config's
// kept positions per head with the CPU engine's on the same prompt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hkv::cli {

struct GpuCompareOptions {
  std::string model;
  std::string prompt_ids;  // JSON file holding a list of token ids
  std::string dtype = "f16";
  std::string device = "cuda:0";
  std::vector<std::string> methods = {"FullKV", "SnapKV", "PyramidKV", "Ada-SnapKV"};
  int32_t budget = 128;
  std::string head_scores;  // "": each method's own (compression::default_head_scores)
  std::string layout = "reference";
  int32_t max_new_tokens = 32;
  bool cpu_overlap = false;
  std::string out_dir = "gpu-compare";
};

int run_gpu_compare(const GpuCompareOptions& options);

}  // namespace hkv::cli
