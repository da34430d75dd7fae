// JSON over nlohmann/json without exceptions escaping: parsing returns Result, and JsonRef gives
// typed, path-aware access ("config.json: .rope_scaling.factor: expected number, got string").
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace hkv {

using Json = nlohmann::json;

// Parses `text`; errors name `source` (a file name or "<request>") and the parser's position.
Result<Json> parse_json(std::string_view text, std::string_view source);
Result<Json> read_json_file(const std::string& path);
// Serialises without throwing: invalid UTF-8 in strings is replaced with U+FFFD.
std::string dump_json(const Json& value, int indent = -1);

// "object", "array", "string", "number", "boolean", "null".
const char* json_type_name(const Json& value);

// A non-owning cursor into a Json document that remembers its path for error messages.
class JsonRef {
 public:
  JsonRef(const Json& node, std::string path) : node_(&node), path_(std::move(path)) {}

  const Json& raw() const { return *node_; }

  const std::string& path() const { return path_; }

  bool is_null() const { return node_->is_null(); }

  bool is_object() const { return node_->is_object(); }

  bool is_array() const { return node_->is_array(); }

  // True when this is an object with `key` present and not null.
  bool has(std::string_view key) const;
  // The member `key`; NotFound when absent, InvalidArgument when this is not an object.
  Result<JsonRef> at(std::string_view key) const;
  // Element `index` of an array; OutOfRange past the end, InvalidArgument when not an array.
  Result<JsonRef> at(size_t index) const;

  // Array length or object member count; 0 for scalars.
  size_t size() const { return node_->is_structured() ? node_->size() : 0; }

  // Typed value: bool, signed/unsigned integers (range-checked), float, double, std::string.
  template <typename T>
  Result<T> as() const;

  // as<T>() of member `key` (required).
  template <typename T>
  Result<T> get(std::string_view key) const {
    HKV_ASSIGN_OR_RETURN(JsonRef child, at(key));
    return child.as<T>();
  }

  // as<T>() of member `key`, or `fallback` when it is absent or null. A present value of the
  // wrong type is still an error.
  template <typename T>
  Result<T> get_or(std::string_view key, T fallback) const {
    if (!has(key)) {
      return fallback;
    }
    return get<T>(key);
  }

  // A homogeneous array of T.
  template <typename T>
  Result<std::vector<T>> as_vector() const {
    if (!node_->is_array()) {
      return type_error("array");
    }
    std::vector<T> out;
    out.reserve(node_->size());
    for (size_t i = 0; i < node_->size(); ++i) {
      HKV_ASSIGN_OR_RETURN(JsonRef element, at(i));
      HKV_ASSIGN_OR_RETURN(T value, element.as<T>());
      out.push_back(std::move(value));
    }
    return out;
  }

 private:
  Status type_error(const char* expected) const;
  Status range_error(const char* type_name) const;

  const Json* node_;
  std::string path_;
};

template <typename T>
Result<T> JsonRef::as() const {
  const Json& j = *node_;
  if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) {
      return type_error("boolean");
    }
    return j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (j.is_number_unsigned()) {
      uint64_t v = j.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        return range_error(std::is_signed_v<T> ? "signed integer" : "unsigned integer");
      }
      return static_cast<T>(v);
    }
    if (j.is_number_integer()) {
      int64_t v = j.get<int64_t>();
      if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 &&
           static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
        return range_error(std::is_signed_v<T> ? "signed integer" : "unsigned integer");
      }
      return static_cast<T>(v);
    }
    return type_error("integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) {
      return type_error("number");
    }
    return j.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) {
      return type_error("string");
    }
    return j.get_ref<const std::string&>();
  } else {
    static_assert(sizeof(T) == 0, "JsonRef::as<T>: unsupported type");
  }
}

}  // namespace hkv
