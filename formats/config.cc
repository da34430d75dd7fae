// Config parsing from the two sources, and validation.
#include "formats/config.h"

#include <filesystem>

#include "common/json.h"
#include "common/paths.h"
#include "common/strings.h"
#include "formats/gguf.h"

namespace hkv::model {
namespace {

// `key`: "rope_scaling" (transformers < 5) or "rope_parameters" (transformers >= 5, which also
// holds rope_theta and writes rope_type "default" for unscaled models). A null value is no scaling.
Status parse_rope_scaling(const JsonRef& root, const char* key, RopeScaling* out) {
  if (!root.has(key)) {
    return Status();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef rs, root.at(key));
  if (rs.is_null()) {
    return Status();
  }
  std::string type;
  if (rs.has("rope_type")) {
    HKV_ASSIGN_OR_RETURN(type, rs.get<std::string>("rope_type"));
  } else {
    HKV_ASSIGN_OR_RETURN(type, rs.get<std::string>("type"));
  }
  if (type == "default") {
    return Status();
  }
  HKV_ASSIGN_OR_RETURN(out->factor, rs.get<double>("factor"));
  if (type == "linear") {
    out->type = RopeScalingType::kLinear;
  } else if (type == "llama3") {
    out->type = RopeScalingType::kLlama3;
    HKV_ASSIGN_OR_RETURN(out->low_freq_factor, rs.get<double>("low_freq_factor"));
    HKV_ASSIGN_OR_RETURN(out->high_freq_factor, rs.get<double>("high_freq_factor"));
    HKV_ASSIGN_OR_RETURN(out->original_max_position_embeddings,
                         rs.get<int64_t>("original_max_position_embeddings"));
  } else {
    return errorf(StatusCode::kUnimplemented,
                  "%s.type: rope scaling '%s' is not supported "
                  "(supported: linear, llama3)",
                  rs.path().c_str(), type.c_str());
  }
  return Status();
}

// eos_token_id may be an integer or a list of integers.
Status parse_eos(const JsonRef& root, std::vector<int32_t>* out) {
  if (!root.has("eos_token_id")) {
    return Status();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef eos, root.at("eos_token_id"));
  if (eos.is_array()) {
    HKV_ASSIGN_OR_RETURN(*out, eos.as_vector<int32_t>());
  } else {
    HKV_ASSIGN_OR_RETURN(int32_t id, eos.as<int32_t>());
    *out = {id};
  }
  return Status();
}

}  // namespace

Result<LlamaConfig> load_hf_config(const std::string& model_dir) {
  std::string path = model_dir + "/config.json";
  HKV_ASSIGN_OR_RETURN(Json json, read_json_file(path));
  JsonRef root(json, path);
  LlamaConfig c;
  c.model_name = std::filesystem::path(model_dir).filename().string();
  HKV_ASSIGN_OR_RETURN(JsonRef archs, root.at("architectures"));
  HKV_ASSIGN_OR_RETURN(JsonRef arch0, archs.at(size_t{0}));
  HKV_ASSIGN_OR_RETURN(c.architecture, arch0.as<std::string>());
  if (c.architecture != "LlamaForCausalLM" && c.architecture != "MistralForCausalLM") {
    return errorf(StatusCode::kUnimplemented,
                  "%s: architecture '%s' is not supported "
                  "(LlamaForCausalLM, MistralForCausalLM)",
                  path.c_str(), c.architecture.c_str());
  }
  HKV_ASSIGN_OR_RETURN(c.hidden_size, root.get<int32_t>("hidden_size"));
  HKV_ASSIGN_OR_RETURN(c.num_layers, root.get<int32_t>("num_hidden_layers"));
  HKV_ASSIGN_OR_RETURN(c.num_q_heads, root.get<int32_t>("num_attention_heads"));
  HKV_ASSIGN_OR_RETURN(c.num_kv_heads, root.get_or<int32_t>("num_key_value_heads", c.num_q_heads));
  int32_t default_head_dim = c.num_q_heads > 0 ? c.hidden_size / c.num_q_heads : 0;
  HKV_ASSIGN_OR_RETURN(c.head_dim, root.get_or<int32_t>("head_dim", default_head_dim));
  HKV_ASSIGN_OR_RETURN(c.intermediate_size, root.get<int32_t>("intermediate_size"));
  HKV_ASSIGN_OR_RETURN(c.vocab_size, root.get<int32_t>("vocab_size"));
  HKV_ASSIGN_OR_RETURN(c.rope_theta, root.get_or<double>("rope_theta", 10000.0));
  HKV_ASSIGN_OR_RETURN(c.rms_norm_eps, root.get_or<double>("rms_norm_eps", 1e-6));
  HKV_ASSIGN_OR_RETURN(c.tie_word_embeddings, root.get_or<bool>("tie_word_embeddings", false));
  HKV_ASSIGN_OR_RETURN(c.max_position_embeddings,
                       root.get_or<int64_t>("max_position_embeddings", 2048));
  HKV_ASSIGN_OR_RETURN(c.bos_token_id, root.get_or<int32_t>("bos_token_id", -1));
  HKV_ASSIGN_OR_RETURN(c.sliding_window, root.get_or<int64_t>("sliding_window", 0));
  HKV_RETURN_IF_ERROR(parse_eos(root, &c.eos_token_ids));
  if (root.has("rope_parameters")) {  // transformers >= 5 config.json
    HKV_ASSIGN_OR_RETURN(JsonRef rp, root.at("rope_parameters"));
    HKV_ASSIGN_OR_RETURN(c.rope_theta, rp.get_or<double>("rope_theta", c.rope_theta));
    HKV_RETURN_IF_ERROR(parse_rope_scaling(root, "rope_parameters", &c.rope_scaling));
  } else {
    HKV_RETURN_IF_ERROR(parse_rope_scaling(root, "rope_scaling", &c.rope_scaling));
  }

  std::string gen_path = model_dir + "/generation_config.json";
  if (path_exists(gen_path)) {
    HKV_ASSIGN_OR_RETURN(Json gen, read_json_file(gen_path));
    JsonRef gen_root(gen, gen_path);
    HKV_RETURN_IF_ERROR(parse_eos(gen_root, &c.eos_token_ids));
    HKV_ASSIGN_OR_RETURN(c.bos_token_id, gen_root.get_or<int32_t>("bos_token_id", c.bos_token_id));
  }
  HKV_RETURN_IF_ERROR(c.validate().with_context("%s", path.c_str()));
  return c;
}

Result<LlamaConfig> load_gguf_config(const GgufFile& gguf) {
  LlamaConfig c;
  HKV_ASSIGN_OR_RETURN(std::string arch, gguf.get_string("general.architecture"));
  if (arch != "llama") {
    return errorf(StatusCode::kUnimplemented,
                  "GGUF '%s': architecture '%s' is not supported (llama)", gguf.path().c_str(),
                  arch.c_str());
  }
  c.architecture = "LlamaForCausalLM";
  c.model_name = gguf.get_string("general.name").ok()
                     ? *gguf.get_string("general.name")
                     : std::filesystem::path(gguf.path()).stem().string();
  auto get_i32 = [&](const char* key, int32_t* out) -> Status {
    HKV_ASSIGN_OR_RETURN(int64_t v, gguf.get_int(key));
    if (v <= 0 || v > INT32_MAX) {
      return errorf(StatusCode::kInvalidArgument, "GGUF '%s': %s = %lld is out of range",
                    gguf.path().c_str(), key, static_cast<long long>(v));
    }
    *out = static_cast<int32_t>(v);
    return Status();
  };
  HKV_RETURN_IF_ERROR(get_i32("llama.embedding_length", &c.hidden_size));
  HKV_RETURN_IF_ERROR(get_i32("llama.block_count", &c.num_layers));
  HKV_RETURN_IF_ERROR(get_i32("llama.attention.head_count", &c.num_q_heads));
  c.num_kv_heads = c.num_q_heads;
  if (gguf.find("llama.attention.head_count_kv") != nullptr) {
    HKV_RETURN_IF_ERROR(get_i32("llama.attention.head_count_kv", &c.num_kv_heads));
  }
  c.head_dim = c.hidden_size / c.num_q_heads;
  if (gguf.find("llama.attention.key_length") != nullptr) {
    HKV_RETURN_IF_ERROR(get_i32("llama.attention.key_length", &c.head_dim));
  }
  HKV_RETURN_IF_ERROR(get_i32("llama.feed_forward_length", &c.intermediate_size));
  if (gguf.find("llama.vocab_size") != nullptr) {
    HKV_RETURN_IF_ERROR(get_i32("llama.vocab_size", &c.vocab_size));
  } else {
    HKV_ASSIGN_OR_RETURN(const std::vector<std::string>* tokens,
                         gguf.get_string_array("tokenizer.ggml.tokens"));
    c.vocab_size = static_cast<int32_t>(tokens->size());
  }
  if (gguf.find("llama.rope.freq_base") != nullptr) {
    HKV_ASSIGN_OR_RETURN(c.rope_theta, gguf.get_float("llama.rope.freq_base"));
  }
  HKV_ASSIGN_OR_RETURN(c.rms_norm_eps, gguf.get_float("llama.attention.layer_norm_rms_epsilon"));
  HKV_ASSIGN_OR_RETURN(c.max_position_embeddings, gguf.get_int("llama.context_length"));
  if (gguf.find("llama.rope.scaling.type") != nullptr) {
    HKV_ASSIGN_OR_RETURN(std::string type, gguf.get_string("llama.rope.scaling.type"));
    if (type == "linear") {
      c.rope_scaling.type = RopeScalingType::kLinear;
      HKV_ASSIGN_OR_RETURN(c.rope_scaling.factor, gguf.get_float("llama.rope.scaling.factor"));
    } else if (type != "none") {
      return errorf(StatusCode::kUnimplemented, "GGUF '%s': rope scaling '%s' is not supported",
                    gguf.path().c_str(), type.c_str());
    }
  }
  if (gguf.find_tensor("rope_freqs.weight") != nullptr) {
    return errorf(StatusCode::kUnimplemented,
                  "GGUF '%s': precomputed rope_freqs (Llama-3.1 style) are not supported; load "
                  "the Hugging Face folder instead",
                  gguf.path().c_str());
  }
  c.tie_word_embeddings = gguf.find_tensor("output.weight") == nullptr;
  if (gguf.find("tokenizer.ggml.bos_token_id") != nullptr) {
    HKV_ASSIGN_OR_RETURN(int64_t bos, gguf.get_int("tokenizer.ggml.bos_token_id"));
    c.bos_token_id = static_cast<int32_t>(bos);
  }
  if (gguf.find("tokenizer.ggml.eos_token_id") != nullptr) {
    HKV_ASSIGN_OR_RETURN(int64_t eos, gguf.get_int("tokenizer.ggml.eos_token_id"));
    c.eos_token_ids = {static_cast<int32_t>(eos)};
  }
  HKV_RETURN_IF_ERROR(c.validate().with_context("GGUF '%s'", gguf.path().c_str()));
  return c;
}

Status LlamaConfig::validate() const {
  // Upper bounds far above any Llama-family model keep size arithmetic (num_parameters, buffer
  // sizes) inside int64 for every config that validates.
  auto in_range = [](const char* field, int64_t v, int64_t max) -> Status {
    if (v <= 0 || v > max) {
      return errorf(StatusCode::kInvalidArgument, "%s = %lld, expected 1..%lld", field,
                    static_cast<long long>(v), static_cast<long long>(max));
    }
    return Status();
  };
  HKV_RETURN_IF_ERROR(in_range("hidden_size", hidden_size, 1 << 17));
  HKV_RETURN_IF_ERROR(in_range("num_hidden_layers", num_layers, 1024));
  HKV_RETURN_IF_ERROR(in_range("num_attention_heads", num_q_heads, 1024));
  HKV_RETURN_IF_ERROR(in_range("num_key_value_heads", num_kv_heads, 1024));
  HKV_RETURN_IF_ERROR(in_range("head_dim", head_dim, 1024));
  HKV_RETURN_IF_ERROR(in_range("intermediate_size", intermediate_size, 1 << 20));
  HKV_RETURN_IF_ERROR(in_range("vocab_size", vocab_size, 1 << 22));
  HKV_RETURN_IF_ERROR(in_range("max_position_embeddings", max_position_embeddings, 1 << 24));
  if (num_q_heads % num_kv_heads != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "num_attention_heads = %d is not a multiple of num_key_value_heads = %d",
                  num_q_heads, num_kv_heads);
  }
  if (head_dim % 2 != 0) {
    return errorf(StatusCode::kInvalidArgument, "head_dim = %d, expected an even number (RoPE)",
                  head_dim);
  }
  if (!(rope_theta > 0.0) || !(rms_norm_eps > 0.0)) {
    return errorf(StatusCode::kInvalidArgument, "rope_theta = %g and rms_norm_eps = %g must be > 0",
                  rope_theta, rms_norm_eps);
  }
  if (rope_scaling.type != RopeScalingType::kNone && !(rope_scaling.factor >= 1.0)) {
    return errorf(StatusCode::kInvalidArgument, "rope_scaling.factor = %g, expected >= 1",
                  rope_scaling.factor);
  }
  if (rope_scaling.type == RopeScalingType::kLlama3 &&
      !(rope_scaling.high_freq_factor > rope_scaling.low_freq_factor &&
        rope_scaling.original_max_position_embeddings > 0)) {
    return errorf(StatusCode::kInvalidArgument,
                  "llama3 rope_scaling needs high_freq_factor (%g) > low_freq_factor (%g) and "
                  "original_max_position_embeddings > 0",
                  rope_scaling.high_freq_factor, rope_scaling.low_freq_factor);
  }
  for (int32_t eos : eos_token_ids) {
    if (eos < 0 || eos >= vocab_size) {
      return errorf(StatusCode::kInvalidArgument, "eos_token_id %d is outside the vocab (%d)", eos,
                    vocab_size);
    }
  }
  return Status();
}

std::string LlamaConfig::summary() const {
  return strformat(
      "%d layers, hidden %d, %d/%d heads x %d, ffn %d, vocab %d, rope theta %g%s, "
      "eps %g, %s embeddings, max positions %lld",
      num_layers, hidden_size, num_q_heads, num_kv_heads, head_dim, intermediate_size, vocab_size,
      rope_theta,
      rope_scaling.type == RopeScalingType::kLlama3
          ? " (llama3 scaling)"
          : (rope_scaling.type == RopeScalingType::kLinear ? " (linear scaling)" : ""),
      rms_norm_eps, tie_word_embeddings ? "tied" : "untied",
      static_cast<long long>(max_position_embeddings));
}

int64_t LlamaConfig::num_parameters() const {
  int64_t h = hidden_size, q = int64_t{num_q_heads} * head_dim,
          kv = int64_t{num_kv_heads} * head_dim;
  int64_t per_layer = h * q + 2 * h * kv + q * h + 3 * h * intermediate_size + 2 * h;
  int64_t embed = int64_t{vocab_size} * h;
  return num_layers * per_layer + embed * (tie_word_embeddings ? 1 : 2) + h;
}

}  // namespace hkv::model
