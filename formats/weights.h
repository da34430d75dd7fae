// Model weights: one name table maps each logical weight to its Hugging Face and GGUF names; a
// ModelSource opens either format; load_weights() validates every tensor against the config
// (present, shape) and dequantizes to float32 in the Hugging Face layout (GGUF's permuted Q/K rows
// are un-permuted here, in one place).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "formats/config.h"

namespace hkv::model {

class GgufFile;
class SafetensorsModel;

enum class WeightId {
  kTokenEmbd,
  kOutputNorm,
  kLmHead,
  kAttnNorm,
  kWq,
  kWk,
  kWv,
  kWo,
  kFfnNorm,
  kWGate,
  kWUp,
  kWDown,
};

// A dense float32 tensor, row-major.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t numel() const { return static_cast<int64_t>(data.size()); }
};

struct LayerWeights {
  HostTensor attn_norm;  // [hidden]
  HostTensor wq;         // [num_q_heads*head_dim, hidden]
  HostTensor wk;         // [num_kv_heads*head_dim, hidden]
  HostTensor wv;         // [num_kv_heads*head_dim, hidden]
  HostTensor wo;         // [hidden, num_q_heads*head_dim]
  HostTensor ffn_norm;   // [hidden]
  HostTensor w_gate;     // [intermediate, hidden]
  HostTensor w_up;       // [intermediate, hidden]
  HostTensor w_down;     // [hidden, intermediate]
};

struct LlamaWeights {
  HostTensor token_embd;   // [vocab, hidden]
  HostTensor output_norm;  // [hidden]
  HostTensor lm_head;      // [vocab, hidden]; empty when tie_word_embeddings
  std::vector<LayerWeights> layers;
};

// Description of one stored tensor, for inspect and memory estimates.
struct StoredTensor {
  std::string name;
  std::vector<int64_t> shape;  // row-major
  std::string dtype;           // "F32", "BF16", "Q4_1", ...
  uint64_t bytes = 0;
};

// An opened model in either format. Holds the mmaps; weights are read on demand.
class ModelSource {
 public:
  // `path`: a Hugging Face directory (config.json + *.safetensors) or a .gguf file; or
  // "random:" + a directory with config.json (or the config.json itself): that shape with random
  // weights (like vLLM's dummy weights), for benchmarks of shapes whose weights are not on disk.
  static Result<ModelSource> open(const std::string& path);

  ModelSource();
  ModelSource(ModelSource&&) noexcept;
  ModelSource& operator=(ModelSource&&) noexcept;
  ~ModelSource();

  const std::string& path() const { return path_; }

  bool is_gguf() const { return gguf_ != nullptr; }

  bool is_random() const { return random_; }

  const LlamaConfig& config() const { return config_; }

  const GgufFile* gguf() const { return gguf_.get(); }  // null for safetensors

  std::vector<StoredTensor> stored_tensors() const;

  // The tensor for `id` (layer ignored for global weights) as float32 in the HF layout.
  Result<HostTensor> load(WeightId id, int layer) const;

 private:
  std::string path_;
  LlamaConfig config_;
  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<SafetensorsModel> safetensors_;
  bool random_ = false;
};

// The prefix of a random-weights model path, and the folder of such a path (`headkv run` and the
// tokenizer look there); other paths come back unchanged.
inline constexpr const char* kRandomWeightsPrefix = "random:";
std::string strip_random_prefix(const std::string& path);

// Loads and validates every weight of the config. Errors name the file and the tensor.
Result<LlamaWeights> load_weights(const ModelSource& source);

// The HF and GGUF names of a weight ("model.layers.3.self_attn.q_proj.weight",
// "blk.3.attn_q.weight").
std::string hf_tensor_name(WeightId id, int layer);
std::string gguf_tensor_name(WeightId id, int layer);

// Inverse of convert_hf_to_gguf's Q/K row permutation for one [n_heads*head_dim, cols] matrix:
// GGUF row h*head_dim + 2*j + half holds HF row h*head_dim + half*head_dim/2 + j.
void unpermute_rope_rows(
    const float* gguf_rows, float* hf_rows, int n_heads, int head_dim, int64_t cols);
// The forward permutation (HF -> GGUF), used by fixtures that write GGUF files.
void permute_rope_rows(
    const float* hf_rows, float* gguf_rows, int n_heads, int head_dim, int64_t cols);

}  // namespace hkv::model
