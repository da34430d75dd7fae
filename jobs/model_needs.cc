// Parameter count from config.json's shape fields, as transformers' LlamaForCausalLM lays them out.
#include "jobs/model_needs.h"

#include "common/json.h"
#include "common/mapped_file.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {
namespace {

Result<int64_t> shape_field(const Json& j, const char* key, const std::string& source) {
  if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() <= 0) {
    return errorf(StatusCode::kInvalidArgument, "%s: '%s' must be a positive integer",
                  source.c_str(), key);
  }
  return j[key].get<int64_t>();
}

}  // namespace

Result<int64_t> llama_parameters_from_config_json(const std::string& json_text,
                                                  const std::string& source) {
  HKV_ASSIGN_OR_RETURN(Json j, parse_json(json_text, source));
  if (!j.is_object()) {
    return errorf(StatusCode::kInvalidArgument, "%s: expected a JSON object", source.c_str());
  }
  HKV_ASSIGN_OR_RETURN(int64_t hidden, shape_field(j, "hidden_size", source));
  HKV_ASSIGN_OR_RETURN(int64_t layers, shape_field(j, "num_hidden_layers", source));
  HKV_ASSIGN_OR_RETURN(int64_t heads, shape_field(j, "num_attention_heads", source));
  HKV_ASSIGN_OR_RETURN(int64_t ffn, shape_field(j, "intermediate_size", source));
  HKV_ASSIGN_OR_RETURN(int64_t vocab, shape_field(j, "vocab_size", source));
  int64_t kv_heads = heads;
  if (j.contains("num_key_value_heads")) {
    HKV_ASSIGN_OR_RETURN(kv_heads, shape_field(j, "num_key_value_heads", source));
  }
  int64_t head_dim = hidden / heads;
  if (j.contains("head_dim") && !j["head_dim"].is_null()) {
    HKV_ASSIGN_OR_RETURN(head_dim, shape_field(j, "head_dim", source));
  }
  const bool tied = j.value("tie_word_embeddings", false);
  const int64_t attention = hidden * head_dim * (2 * heads + 2 * kv_heads);
  const int64_t per_layer = attention + 3 * hidden * ffn + 2 * hidden;
  return vocab * hidden * (tied ? 1 : 2) + layers * per_layer + hidden;
}

Result<int64_t> estimate_model_memory_bytes(const std::string& model,
                                            const std::string& dtype,
                                            const std::string& home) {
  // random:FOLDER (random weights, formats/weights.h) has FOLDER's config.json.
  const std::string prefix = "random:";
  const std::string folder = model.rfind(prefix, 0) == 0 ? model.substr(prefix.size()) : model;
  const std::string path = expand_home(folder, home) + "/config.json";
  Result<std::string> text = read_file_to_string(path);
  if (!text.ok()) {
    return errorf(StatusCode::kNotFound, "no readable %s", path.c_str());
  }
  HKV_ASSIGN_OR_RETURN(int64_t params, llama_parameters_from_config_json(*text, path));
  const double bytes_per_weight = dtype == "fp32" ? 4.0 : 2.0;
  return static_cast<int64_t>(kMemoryHeadroom * bytes_per_weight * static_cast<double>(params));
}

}  // namespace hkv::jobs
