// The tensor-name table, format dispatch, shape validation and dequantization of weights.
#include "formats/weights.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "common/half.h"
#include "common/parallel.h"
#include "common/strings.h"
#include "formats/dequant.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"

namespace hkv::model {
namespace {

// Logical weight -> names per format. "{}" is the layer index. GGUF's attn_q / attn_k rows are
// permuted for llama.cpp's interleaved RoPE by convert_hf_to_gguf.py (rope_permuted).
struct NameEntry {
  WeightId id;
  const char* hf;
  const char* gguf;
  bool per_layer;
  bool rope_permuted;
};

constexpr NameEntry kNames[] = {
    {WeightId::kTokenEmbd, "model.embed_tokens.weight", "token_embd.weight", false, false},
    {WeightId::kOutputNorm, "model.norm.weight", "output_norm.weight", false, false},
    {WeightId::kLmHead, "lm_head.weight", "output.weight", false, false},
    {WeightId::kAttnNorm, "model.layers.{}.input_layernorm.weight", "blk.{}.attn_norm.weight", true,
     false},
    {WeightId::kWq, "model.layers.{}.self_attn.q_proj.weight", "blk.{}.attn_q.weight", true, true},
    {WeightId::kWk, "model.layers.{}.self_attn.k_proj.weight", "blk.{}.attn_k.weight", true, true},
    {WeightId::kWv, "model.layers.{}.self_attn.v_proj.weight", "blk.{}.attn_v.weight", true, false},
    {WeightId::kWo, "model.layers.{}.self_attn.o_proj.weight", "blk.{}.attn_output.weight", true,
     false},
    {WeightId::kFfnNorm, "model.layers.{}.post_attention_layernorm.weight",
     "blk.{}.ffn_norm.weight", true, false},
    {WeightId::kWGate, "model.layers.{}.mlp.gate_proj.weight", "blk.{}.ffn_gate.weight", true,
     false},
    {WeightId::kWUp, "model.layers.{}.mlp.up_proj.weight", "blk.{}.ffn_up.weight", true, false},
    {WeightId::kWDown, "model.layers.{}.mlp.down_proj.weight", "blk.{}.ffn_down.weight", true,
     false},
};

const NameEntry& entry(WeightId id) {
  for (const NameEntry& e : kNames) {
    if (e.id == id) {
      return e;
    }
  }
  HKV_CHECK(false) << "unknown WeightId " << static_cast<int>(id);
  return kNames[0];
}

std::string expand(const char* pattern, int layer) {
  std::string s = pattern;
  size_t pos = s.find("{}");
  if (pos != std::string::npos) {
    s.replace(pos, 2, std::to_string(layer));
  }
  return s;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + "]";
}

// The row-major shape the config implies for `id`.
std::vector<int64_t> expected_shape(const LlamaConfig& c, WeightId id) {
  int64_t h = c.hidden_size, q = int64_t{c.num_q_heads} * c.head_dim;
  int64_t kv = int64_t{c.num_kv_heads} * c.head_dim, ffn = c.intermediate_size;
  switch (id) {
    case WeightId::kTokenEmbd:
    case WeightId::kLmHead:
      return {c.vocab_size, h};
    case WeightId::kOutputNorm:
    case WeightId::kAttnNorm:
    case WeightId::kFfnNorm:
      return {h};
    case WeightId::kWq:
      return {q, h};
    case WeightId::kWk:
    case WeightId::kWv:
      return {kv, h};
    case WeightId::kWo:
      return {h, q};
    case WeightId::kWGate:
    case WeightId::kWUp:
      return {ffn, h};
    case WeightId::kWDown:
      return {h, ffn};
  }
  return {};
}

Status convert_safetensors(const StTensorInfo& info, std::span<const uint8_t> bytes, float* out) {
  uint64_t n = info.num_elements();
  switch (info.dtype) {
    case StDType::kF32:
      std::memcpy(out, bytes.data(), n * 4);
      return Status();
    case StDType::kF16:
    case StDType::kBf16:
      for (uint64_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, bytes.data() + 2 * i, 2);
        out[i] = info.dtype == StDType::kF16 ? f16_to_float(v) : bf16_to_float(v);
      }
      return Status();
    default:
      return errorf(StatusCode::kUnimplemented,
                    "tensor '%s' has dtype %s; weights must be F32, "
                    "F16 or BF16",
                    info.name.c_str(), st_dtype_name(info.dtype));
  }
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Random weights, the same on every call, host and thread count: norms 1 (transformers' RMSNorm
// init), every other element uniform in +-0.02 * sqrt(3) (standard deviation 0.02, transformers'
// initializer_range), from a counter-based generator keyed by (weight, layer, index).
void fill_random(WeightId id, int layer, std::vector<float>* data) {
  if (id == WeightId::kAttnNorm || id == WeightId::kFfnNorm || id == WeightId::kOutputNorm) {
    std::fill(data->begin(), data->end(), 1.0f);
    return;
  }
  const uint64_t key = splitmix64((static_cast<uint64_t>(id) << 32) ^ static_cast<uint32_t>(layer));
  const float scale = 0.02f * 1.7320508f / 8388608.0f;  // 24 random bits -> [-a, a)
  float* out = data->data();
  parallel_for(static_cast<int64_t>(data->size()), 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t bits = static_cast<int64_t>(splitmix64(key + static_cast<uint64_t>(i)) >> 40);
      out[i] = static_cast<float>(bits - 8388608) * scale;
    }
  });
}

}  // namespace

std::string strip_random_prefix(const std::string& path) {
  const std::string prefix = kRandomWeightsPrefix;
  if (path.rfind(prefix, 0) != 0) {
    return path;
  }
  std::string rest = path.substr(prefix.size());
  std::error_code ec;
  if (std::filesystem::is_regular_file(rest, ec)) {
    std::string parent = std::filesystem::path(rest).parent_path().string();
    return parent.empty() ? "." : parent;
  }
  return rest;
}

std::string hf_tensor_name(WeightId id, int layer) {
  return expand(entry(id).hf, layer);
}

std::string gguf_tensor_name(WeightId id, int layer) {
  return expand(entry(id).gguf, layer);
}

void unpermute_rope_rows(
    const float* gguf_rows, float* hf_rows, int n_heads, int head_dim, int64_t cols) {
  int half = head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    for (int j = 0; j < half; ++j) {
      for (int part = 0; part < 2; ++part) {
        const float* src = gguf_rows + (int64_t{h} * head_dim + 2 * j + part) * cols;
        float* dst = hf_rows + (int64_t{h} * head_dim + part * half + j) * cols;
        std::memcpy(dst, src, cols * sizeof(float));
      }
    }
  }
}

void permute_rope_rows(
    const float* hf_rows, float* gguf_rows, int n_heads, int head_dim, int64_t cols) {
  int half = head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    for (int j = 0; j < half; ++j) {
      for (int part = 0; part < 2; ++part) {
        const float* src = hf_rows + (int64_t{h} * head_dim + part * half + j) * cols;
        float* dst = gguf_rows + (int64_t{h} * head_dim + 2 * j + part) * cols;
        std::memcpy(dst, src, cols * sizeof(float));
      }
    }
  }
}

ModelSource::ModelSource() = default;
ModelSource::ModelSource(ModelSource&&) noexcept = default;
ModelSource& ModelSource::operator=(ModelSource&&) noexcept = default;
ModelSource::~ModelSource() = default;

Result<ModelSource> ModelSource::open(const std::string& path) {
  ModelSource source;
  source.path_ = path;
  std::error_code ec;
  if (path.rfind(kRandomWeightsPrefix, 0) == 0) {
    const std::string dir = strip_random_prefix(path);
    if (!std::filesystem::exists(dir + "/config.json", ec)) {
      return errorf(StatusCode::kNotFound,
                    "random-weights model '%s': no config.json in '%s' (expected random:FOLDER "
                    "or random:FOLDER/config.json)",
                    path.c_str(), dir.c_str());
    }
    HKV_ASSIGN_OR_RETURN(source.config_, load_hf_config(dir));
    source.random_ = true;
    return source;
  }
  if (std::filesystem::is_directory(path, ec)) {
    HKV_ASSIGN_OR_RETURN(source.config_, load_hf_config(path));
    HKV_ASSIGN_OR_RETURN(SafetensorsModel st, SafetensorsModel::open(path));
    source.safetensors_ = std::make_unique<SafetensorsModel>(std::move(st));
    return source;
  }
  if (!std::filesystem::exists(path, ec)) {
    return errorf(StatusCode::kNotFound,
                  "model '%s' does not exist (expected a Hugging Face "
                  "directory or a .gguf file)",
                  path.c_str());
  }
  HKV_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(path));
  source.gguf_ = std::make_unique<GgufFile>(std::move(gguf));
  HKV_ASSIGN_OR_RETURN(source.config_, load_gguf_config(*source.gguf_));
  return source;
}

std::vector<StoredTensor> ModelSource::stored_tensors() const {
  std::vector<StoredTensor> out;
  if (random_) {
    auto add = [&](WeightId id, int layer) {
      std::vector<int64_t> shape = expected_shape(config_, id);
      uint64_t n = 1;
      for (int64_t d : shape) {
        n *= static_cast<uint64_t>(d);
      }
      out.push_back({expand(entry(id).hf, layer), shape, "random", 4 * n});
    };
    add(WeightId::kTokenEmbd, 0);
    for (int l = 0; l < config_.num_layers; ++l) {
      for (WeightId id :
           {WeightId::kAttnNorm, WeightId::kWq, WeightId::kWk, WeightId::kWv, WeightId::kWo,
            WeightId::kFfnNorm, WeightId::kWGate, WeightId::kWUp, WeightId::kWDown}) {
        add(id, l);
      }
    }
    add(WeightId::kOutputNorm, 0);
    if (!config_.tie_word_embeddings) {
      add(WeightId::kLmHead, 0);
    }
  } else if (gguf_) {
    for (const GgufTensorInfo& t : gguf_->tensors()) {
      out.push_back({t.name, t.shape(), t.type.name, t.num_bytes});
    }
  } else {
    for (const auto& [name, e] : safetensors_->entries()) {
      out.push_back(
          {name, e.info->shape, st_dtype_name(e.info->dtype), e.info->end - e.info->begin});
    }
  }
  return out;
}

Result<HostTensor> ModelSource::load(WeightId id, int layer) const {
  const NameEntry& e = entry(id);
  std::string name = gguf_ ? expand(e.gguf, layer) : expand(e.hf, layer);
  std::vector<int64_t> want = expected_shape(config_, id);
  HostTensor t;
  t.shape = want;
  std::vector<int64_t> got;
  if (random_) {
    int64_t n = 1;
    for (int64_t d : want) {
      n *= d;
    }
    t.data.resize(static_cast<size_t>(n));
    fill_random(id, layer, &t.data);
    return t;
  }
  if (gguf_) {
    const GgufTensorInfo* info = gguf_->find_tensor(name);
    if (info == nullptr) {
      return errorf(StatusCode::kNotFound, "GGUF '%s': tensor '%s' is missing", path_.c_str(),
                    name.c_str());
    }
    got = info->shape();
    if (got != want) {
      return errorf(StatusCode::kInvalidArgument,
                    "GGUF '%s': tensor '%s' has shape %s, expected %s", path_.c_str(), name.c_str(),
                    shape_string(got).c_str(), shape_string(want).c_str());
    }
    t.data.resize(info->num_elements);
    HKV_RETURN_IF_ERROR(dequantize(info->type, gguf_->tensor_data(*info),
                                   static_cast<int64_t>(info->num_elements), t.data.data())
                            .with_context("GGUF '%s': tensor '%s'", path_.c_str(), name.c_str()));
    if (e.rope_permuted) {
      int heads = id == WeightId::kWq ? config_.num_q_heads : config_.num_kv_heads;
      std::vector<float> hf(t.data.size());
      unpermute_rope_rows(t.data.data(), hf.data(), heads, config_.head_dim, want[1]);
      t.data = std::move(hf);
    }
    return t;
  }
  const SafetensorsModel::Entry* st = safetensors_->find(name);
  if (st == nullptr) {
    return errorf(StatusCode::kNotFound, "model '%s': tensor '%s' is missing", path_.c_str(),
                  name.c_str());
  }
  if (st->info->shape != want) {
    return errorf(StatusCode::kInvalidArgument, "'%s': tensor '%s' has shape %s, expected %s",
                  st->file->path().c_str(), name.c_str(), shape_string(st->info->shape).c_str(),
                  shape_string(want).c_str());
  }
  t.data.resize(st->info->num_elements());
  HKV_RETURN_IF_ERROR(convert_safetensors(*st->info, st->file->data(*st->info), t.data.data())
                          .with_context("'%s'", st->file->path().c_str()));
  return t;
}

Result<LlamaWeights> load_weights(const ModelSource& source) {
  const LlamaConfig& c = source.config();
  LlamaWeights w;
  HKV_ASSIGN_OR_RETURN(w.token_embd, source.load(WeightId::kTokenEmbd, 0));
  HKV_ASSIGN_OR_RETURN(w.output_norm, source.load(WeightId::kOutputNorm, 0));
  if (!c.tie_word_embeddings) {
    HKV_ASSIGN_OR_RETURN(w.lm_head, source.load(WeightId::kLmHead, 0));
  }
  w.layers.resize(c.num_layers);
  for (int l = 0; l < c.num_layers; ++l) {
    LayerWeights& L = w.layers[l];
    HKV_ASSIGN_OR_RETURN(L.attn_norm, source.load(WeightId::kAttnNorm, l));
    HKV_ASSIGN_OR_RETURN(L.wq, source.load(WeightId::kWq, l));
    HKV_ASSIGN_OR_RETURN(L.wk, source.load(WeightId::kWk, l));
    HKV_ASSIGN_OR_RETURN(L.wv, source.load(WeightId::kWv, l));
    HKV_ASSIGN_OR_RETURN(L.wo, source.load(WeightId::kWo, l));
    HKV_ASSIGN_OR_RETURN(L.ffn_norm, source.load(WeightId::kFfnNorm, l));
    HKV_ASSIGN_OR_RETURN(L.w_gate, source.load(WeightId::kWGate, l));
    HKV_ASSIGN_OR_RETURN(L.w_up, source.load(WeightId::kWUp, l));
    HKV_ASSIGN_OR_RETURN(L.w_down, source.load(WeightId::kWDown, l));
  }
  return w;
}

}  // namespace hkv::model
