// LlamaConfig: the architecture of a Llama-family model (Llama-2/3/3.1, Mistral, SmolLM2), parsed
// from config.json + generation_config.json or from GGUF metadata, then validate()d.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace hkv::model {

class GgufFile;

enum class RopeScalingType { kNone, kLinear, kLlama3 };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;
  double low_freq_factor = 1.0;                     // llama3
  double high_freq_factor = 4.0;                    // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
};

struct LlamaConfig {
  std::string architecture;  // "LlamaForCausalLM", "MistralForCausalLM"
  std::string model_name;    // from the directory / general.name, for messages and reports
  int32_t hidden_size = 0;
  int32_t num_layers = 0;
  int32_t num_q_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t intermediate_size = 0;
  int32_t vocab_size = 0;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;
  int64_t max_position_embeddings = 2048;
  int32_t bos_token_id = -1;
  std::vector<int32_t> eos_token_ids;  // generation_config's list when present
  int64_t sliding_window = 0;          // 0: none (Mistral v0.2 has null)

  // Checks divisibility and ranges; errors say which field, expected vs got.
  Status validate() const;
  // "30 layers, hidden 576, 9/3 heads x 64, ffn 1536, vocab 49152, rope 100000".
  std::string summary() const;
  // Parameter count implied by the shapes.
  int64_t num_parameters() const;
};

// Reads <dir>/config.json and, when present, <dir>/generation_config.json.
Result<LlamaConfig> load_hf_config(const std::string& model_dir);
// From GGUF metadata (general.architecture "llama"; the tensor table decides tie_word_embeddings).
Result<LlamaConfig> load_gguf_config(const GgufFile& gguf);

}  // namespace hkv::model
