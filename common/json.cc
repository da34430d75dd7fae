// nlohmann/json calls that may throw are confined to this file and converted to Status.
#include "common/json.h"

#include "common/data_file.h"

namespace hkv {

Result<Json> parse_json(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return errorf(StatusCode::kInvalidArgument, "%.*s: malformed JSON: %s",
                  static_cast<int>(source.size()), source.data(), e.what());
  }
}

Result<Json> read_json_file(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(std::string text, read_data_file(path));
  return parse_json(text, path);
}

std::string dump_json(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

const char* json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::null:
      return "null";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      return "discarded";
  }
  return "unknown";
}

bool JsonRef::has(std::string_view key) const {
  if (!node_->is_object()) {
    return false;
  }
  auto it = node_->find(key);
  return it != node_->end() && !it->is_null();
}

Result<JsonRef> JsonRef::at(std::string_view key) const {
  std::string child_path = path_ + "." + std::string(key);
  if (!node_->is_object()) {
    return errorf(StatusCode::kInvalidArgument, "%s: expected object with field '%.*s', got %s",
                  path_.c_str(), static_cast<int>(key.size()), key.data(), json_type_name(*node_));
  }
  auto it = node_->find(key);
  if (it == node_->end()) {
    return errorf(StatusCode::kNotFound, "%s: required field is missing", child_path.c_str());
  }
  return JsonRef(*it, std::move(child_path));
}

Result<JsonRef> JsonRef::at(size_t index) const {
  if (!node_->is_array()) {
    return type_error("array");
  }
  if (index >= node_->size()) {
    return errorf(StatusCode::kOutOfRange, "%s: index %zu out of range (size %zu)", path_.c_str(),
                  index, node_->size());
  }
  return JsonRef((*node_)[index], path_ + "[" + std::to_string(index) + "]");
}

Status JsonRef::type_error(const char* expected) const {
  return errorf(StatusCode::kInvalidArgument, "%s: expected %s, got %s", path_.c_str(), expected,
                json_type_name(*node_));
}

Status JsonRef::range_error(const char* type_name) const {
  return errorf(StatusCode::kOutOfRange, "%s: value %s does not fit the expected %s", path_.c_str(),
                dump_json(*node_).c_str(), type_name);
}

}  // namespace hkv
