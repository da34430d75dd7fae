// Fixture writers. The GGUF writer follows the format spec (v3, little-endian, 32-byte aligned
// data); the tiny model permutes Q/K rows for GGUF with model::permute_rope_rows, which is the
// convert_hf_to_gguf.py permutation.
#include "tests/testing/tiny_model.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/half.h"
#include "common/json.h"
#include "formats/weights.h"

namespace hkv::testing {
namespace {

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> encode_floats(const std::vector<float>& v, bool half) {
  std::vector<uint8_t> out(v.size() * (half ? 2 : 4));
  for (size_t i = 0; i < v.size(); ++i) {
    if (half) {
      uint16_t h = float_to_f16(v[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    } else {
      std::memcpy(out.data() + 4 * i, &v[i], 4);
    }
  }
  return out;
}

}  // namespace

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  put_string(kv_, key);
  put<uint32_t>(kv_, 8);
  put_string(kv_, value);
  ++kv_count_;
}

void GgufWriter::add_u32(const std::string& key, uint32_t value) {
  put_string(kv_, key);
  put<uint32_t>(kv_, 4);
  put<uint32_t>(kv_, value);
  ++kv_count_;
}

void GgufWriter::add_f32(const std::string& key, float value) {
  put_string(kv_, key);
  put<uint32_t>(kv_, 6);
  put<float>(kv_, value);
  ++kv_count_;
}

void GgufWriter::add_bool(const std::string& key, bool value) {
  put_string(kv_, key);
  put<uint32_t>(kv_, 7);
  put<uint8_t>(kv_, value ? 1 : 0);
  ++kv_count_;
}

void GgufWriter::add_string_array(const std::string& key, const std::vector<std::string>& values) {
  put_string(kv_, key);
  put<uint32_t>(kv_, 9);
  put<uint32_t>(kv_, 8);
  put<uint64_t>(kv_, values.size());
  for (const auto& v : values) {
    put_string(kv_, v);
  }
  ++kv_count_;
}

void GgufWriter::add_i32_array(const std::string& key, const std::vector<int32_t>& values) {
  put_string(kv_, key);
  put<uint32_t>(kv_, 9);
  put<uint32_t>(kv_, 5);
  put<uint64_t>(kv_, values.size());
  for (int32_t v : values) {
    put<int32_t>(kv_, v);
  }
  ++kv_count_;
}

void GgufWriter::add_tensor(const std::string& name,
                            const std::vector<int64_t>& dims,
                            uint32_t ggml_type,
                            const std::vector<uint8_t>& data) {
  tensors_.push_back({name, dims, ggml_type, data});
}

std::vector<uint8_t> GgufWriter::bytes() const {
  constexpr uint64_t kAlign = 32;
  std::vector<uint8_t> out;
  put<uint32_t>(out, 0x46554747);
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, kv_count_);
  out.insert(out.end(), kv_.begin(), kv_.end());
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    put_string(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) {
      put<uint64_t>(out, static_cast<uint64_t>(d));
    }
    put<uint32_t>(out, t.type);
    put<uint64_t>(out, offset);
    offset += (t.data.size() + kAlign - 1) / kAlign * kAlign;
  }
  out.resize((out.size() + kAlign - 1) / kAlign * kAlign, 0);
  for (const Tensor& t : tensors_) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    out.resize((out.size() + kAlign - 1) / kAlign * kAlign, 0);
  }
  return out;
}

void GgufWriter::write(const std::string& path) const {
  write_bytes(path, bytes());
}

void write_safetensors(const std::string& path, const std::map<std::string, RawTensor>& tensors) {
  Json header = Json::object();
  uint64_t offset = 0;
  std::vector<uint8_t> data;
  for (const auto& [name, t] : tensors) {
    header[name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
    data.insert(data.end(), t.data.begin(), t.data.end());
  }
  header["__metadata__"] = {{"format", "pt"}};
  std::string text = dump_json(header);
  std::vector<uint8_t> out;
  put<uint64_t>(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), data.begin(), data.end());
  write_bytes(path, out);
}

TinyModel write_tiny_model(const std::string& dir, const TinyModelOptions& o) {
  TinyModel m;
  m.hf_dir = dir + "/hf";
  m.gguf_path = dir + "/tiny.gguf";
  std::filesystem::create_directories(m.hf_dir);
  int32_t head_dim = o.hidden / o.heads;
  model::LlamaConfig& c = m.config;
  c = {.architecture = "LlamaForCausalLM",
       .model_name = "hf",
       .hidden_size = o.hidden,
       .num_layers = o.layers,
       .num_q_heads = o.heads,
       .num_kv_heads = o.kv_heads,
       .head_dim = head_dim,
       .intermediate_size = o.ffn,
       .vocab_size = o.vocab,
       .rope_theta = o.rope_theta,
       .rms_norm_eps = 1e-5,
       .tie_word_embeddings = o.tie_embeddings,
       .max_position_embeddings = 512,
       .bos_token_id = 1,
       .eos_token_ids = {2}};
  Json config = {{"architectures", {"LlamaForCausalLM"}},
                 {"hidden_size", o.hidden},
                 {"num_hidden_layers", o.layers},
                 {"num_attention_heads", o.heads},
                 {"num_key_value_heads", o.kv_heads},
                 {"intermediate_size", o.ffn},
                 {"vocab_size", o.vocab},
                 {"rope_theta", o.rope_theta},
                 {"rms_norm_eps", 1e-5},
                 {"tie_word_embeddings", o.tie_embeddings},
                 {"max_position_embeddings", 512},
                 {"bos_token_id", 1},
                 {"eos_token_id", 2},
                 {"torch_dtype", o.half ? "float16" : "float32"}};
  std::ofstream(m.hf_dir + "/config.json") << dump_json(config, 2);
  std::ofstream(m.hf_dir + "/generation_config.json")
      << R"({"bos_token_id": 1, "eos_token_id": [2]})";

  std::mt19937 rng(o.seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  GgufWriter gguf;
  gguf.add_string("general.architecture", "llama");
  gguf.add_string("general.name", "tiny");
  gguf.add_u32("llama.block_count", o.layers);
  gguf.add_u32("llama.context_length", 512);
  gguf.add_u32("llama.embedding_length", o.hidden);
  gguf.add_u32("llama.feed_forward_length", o.ffn);
  gguf.add_u32("llama.attention.head_count", o.heads);
  gguf.add_u32("llama.attention.head_count_kv", o.kv_heads);
  gguf.add_f32("llama.rope.freq_base", static_cast<float>(o.rope_theta));
  gguf.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  gguf.add_u32("llama.vocab_size", o.vocab);
  gguf.add_u32("tokenizer.ggml.bos_token_id", 1);
  gguf.add_u32("tokenizer.ggml.eos_token_id", 2);

  std::map<std::string, RawTensor> shards[2];
  int shard = 0;
  int tensor_index = 0;
  auto add = [&](model::WeightId id, int layer, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
      n *= d;
    }
    std::vector<float> v(n);
    bool norm = id == model::WeightId::kAttnNorm || id == model::WeightId::kFfnNorm ||
                id == model::WeightId::kOutputNorm;
    double t = tensor_index++;
    for (int64_t i = 0; i < n; ++i) {
      if (o.formula_weights) {
        v[i] = static_cast<float>(norm ? 1.0 + 0.1 * std::cos(0.5 * i + t)
                                       : 0.05 * std::sin(0.37 * i + 1.3 * t + 0.1));
      } else {
        v[i] = dist(rng) + (norm ? 1.0f : 0.0f);
      }
    }
    if (o.half) {  // store exactly what the files hold
      for (float& x : v) {
        x = f16_to_float(float_to_f16(x));
      }
    }
    std::string hf_name = model::hf_tensor_name(id, layer);
    shards[o.sharded ? (shard++ % 2) : 0][hf_name] = {o.half ? "F16" : "F32", shape,
                                                      encode_floats(v, o.half)};
    std::vector<float> g = v;
    if (id == model::WeightId::kWq || id == model::WeightId::kWk) {
      int heads = id == model::WeightId::kWq ? o.heads : o.kv_heads;
      model::permute_rope_rows(v.data(), g.data(), heads, head_dim, shape[1]);
    }
    gguf.add_tensor(model::gguf_tensor_name(id, layer), {shape.rbegin(), shape.rend()},
                    o.half ? 1u : 0u, encode_floats(g, o.half));
    m.hf_weights[hf_name] = std::move(v);
  };
  int64_t q = int64_t{o.heads} * head_dim, kv = int64_t{o.kv_heads} * head_dim;
  add(model::WeightId::kTokenEmbd, 0, {o.vocab, o.hidden});
  for (int l = 0; l < o.layers; ++l) {
    add(model::WeightId::kAttnNorm, l, {o.hidden});
    add(model::WeightId::kWq, l, {q, o.hidden});
    add(model::WeightId::kWk, l, {kv, o.hidden});
    add(model::WeightId::kWv, l, {kv, o.hidden});
    add(model::WeightId::kWo, l, {o.hidden, q});
    add(model::WeightId::kFfnNorm, l, {o.hidden});
    add(model::WeightId::kWGate, l, {o.ffn, o.hidden});
    add(model::WeightId::kWUp, l, {o.ffn, o.hidden});
    add(model::WeightId::kWDown, l, {o.hidden, o.ffn});
  }
  add(model::WeightId::kOutputNorm, 0, {o.hidden});
  if (!o.tie_embeddings) {
    add(model::WeightId::kLmHead, 0, {o.vocab, o.hidden});
  }
  gguf.write(m.gguf_path);
  if (!o.sharded) {
    write_safetensors(m.hf_dir + "/model.safetensors", shards[0]);
  } else {
    Json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", Json::object()}};
    for (int s = 0; s < 2; ++s) {
      std::string name = "model-0000" + std::to_string(s + 1) + "-of-00002.safetensors";
      write_safetensors(m.hf_dir + "/" + name, shards[s]);
      for (const auto& [tensor, raw] : shards[s]) {
        index["weight_map"][tensor] = name;
      }
    }
    std::ofstream(m.hf_dir + "/model.safetensors.index.json") << dump_json(index, 2);
  }
  return m;
}

}  // namespace hkv::testing
