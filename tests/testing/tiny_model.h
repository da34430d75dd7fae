// Test fixtures written at test time (never committed): a small GGUF writer, a safetensors writer,
// and a tiny random Llama saved both as a Hugging Face folder and as GGUF.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formats/config.h"

namespace hkv::testing {

// Builds a GGUF v3 file in memory. Tensors are added with GGML dims (dims[0] fastest).
class GgufWriter {
 public:
  void add_string(const std::string& key, const std::string& value);
  void add_u32(const std::string& key, uint32_t value);
  void add_f32(const std::string& key, float value);
  void add_bool(const std::string& key, bool value);
  void add_string_array(const std::string& key, const std::vector<std::string>& values);
  void add_i32_array(const std::string& key, const std::vector<int32_t>& values);
  void add_tensor(const std::string& name,
                  const std::vector<int64_t>& dims,
                  uint32_t ggml_type,
                  const std::vector<uint8_t>& data);
  // The complete file image (header, tensor infos, aligned data).
  std::vector<uint8_t> bytes() const;
  void write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> dims;
    uint32_t type;
    std::vector<uint8_t> data;
  };

  std::vector<uint8_t> kv_;
  uint64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
};

// Writes `tensors` (name -> (shape, raw little-endian bytes)) as one safetensors file.
struct RawTensor {
  std::string dtype;  // "F32", "F16", "BF16"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

void write_safetensors(const std::string& path, const std::map<std::string, RawTensor>& tensors);

struct TinyModelOptions {
  int32_t hidden = 64;
  int32_t layers = 2;
  int32_t heads = 4;
  int32_t kv_heads = 2;
  int32_t ffn = 96;
  int32_t vocab = 160;
  bool tie_embeddings = false;
  bool half = false;     // F16 tensors in both files (else F32)
  bool sharded = false;  // two safetensors shards + index.json
  uint32_t seed = 1;
  // Deterministic closed-form weights instead of random ones, reproducible by
  // tools/reference/make_logits_goldens.py: tensor t (in WeightId order, layer-major), element i:
  // norms 1 + 0.1*cos(0.5*i + t), others 0.05*sin(0.37*i + 1.3*t + 0.1), computed in double.
  bool formula_weights = false;
  double rope_theta = 10000.0;
};

struct TinyModel {
  std::string hf_dir;     // config.json, generation_config.json, *.safetensors
  std::string gguf_path;  // the same weights; Q/K rows permuted as convert_hf_to_gguf does
  model::LlamaConfig config;
  std::map<std::string, std::vector<float>> hf_weights;  // HF name -> values as stored
};

TinyModel write_tiny_model(const std::string& dir, const TinyModelOptions& options);

}  // namespace hkv::testing
