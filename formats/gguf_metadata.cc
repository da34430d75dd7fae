// GgufFile accessors: typed metadata lookup with errors that name the file and key, and
// human-readable value summaries for `headkv inspect`.
#include "common/strings.h"
#include "formats/gguf.h"

namespace hkv::model {

const char* gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
      return "u8";
    case GgufType::kInt8:
      return "i8";
    case GgufType::kUint16:
      return "u16";
    case GgufType::kInt16:
      return "i16";
    case GgufType::kUint32:
      return "u32";
    case GgufType::kInt32:
      return "i32";
    case GgufType::kFloat32:
      return "f32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kUint64:
      return "u64";
    case GgufType::kInt64:
      return "i64";
    case GgufType::kFloat64:
      return "f64";
  }
  return "?";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

std::string GgufValue::summary() const {
  if (type == GgufType::kArray) {
    return strformat("array<%s>[%llu]", gguf_type_name(array_type),
                     static_cast<unsigned long long>(array_size));
  }
  if (type == GgufType::kString) {
    std::string shown =
        string_value.size() > 60 ? string_value.substr(0, 57) + "..." : string_value;
    for (char& c : shown) {
      if (c == '\n' || c == '\t') {
        c = ' ';
      }
    }
    return "string '" + shown + "'";
  }
  if (type == GgufType::kBool) {
    return bool_value ? "bool true" : "bool false";
  }
  if (is_float()) {
    return strformat("%s %.9g", gguf_type_name(type), float_value);
  }
  return strformat("%s %lld", gguf_type_name(type), static_cast<long long>(int_value));
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

namespace {

Result<const GgufValue*> require(const GgufFile& file,
                                 std::string_view key,
                                 bool (*ok)(const GgufValue&),
                                 const char* expected) {
  const GgufValue* v = file.find(key);
  if (v == nullptr) {
    return errorf(StatusCode::kNotFound, "GGUF '%s': metadata key '%.*s' is missing",
                  file.path().c_str(), static_cast<int>(key.size()), key.data());
  }
  if (!ok(*v)) {
    return errorf(StatusCode::kInvalidArgument, "GGUF '%s': metadata key '%.*s' is %s, expected %s",
                  file.path().c_str(), static_cast<int>(key.size()), key.data(),
                  v->summary().c_str(), expected);
  }
  return v;
}

}  // namespace

Result<std::string> GgufFile::get_string(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(
      const GgufValue* v,
      require(
          *this, key, [](const GgufValue& x) { return x.type == GgufType::kString; }, "a string"));
  return v->string_value;
}

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(
      const GgufValue* v,
      require(
          *this, key, [](const GgufValue& x) { return x.is_integer(); }, "an integer"));
  return v->int_value;
}

Result<double> GgufFile::get_float(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(
      const GgufValue* v,
      require(
          *this, key, [](const GgufValue& x) { return x.is_float() || x.is_integer(); },
          "a number"));
  return v->is_float() ? v->float_value : static_cast<double>(v->int_value);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(
      const GgufValue* v,
      require(
          *this, key, [](const GgufValue& x) { return x.type == GgufType::kBool; }, "a bool"));
  return v->bool_value;
}

Result<const std::vector<std::string>*> GgufFile::get_string_array(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(const GgufValue* v, require(
                                               *this, key,
                                               [](const GgufValue& x) {
                                                 return x.type == GgufType::kArray &&
                                                        x.array_type == GgufType::kString;
                                               },
                                               "an array of strings"));
  return &v->strings;
}

Result<const std::vector<int64_t>*> GgufFile::get_int_array(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(const GgufValue* v, require(
                                               *this, key,
                                               [](const GgufValue& x) {
                                                 return x.type == GgufType::kArray &&
                                                        x.ints.size() == x.array_size;
                                               },
                                               "an array of integers"));
  return &v->ints;
}

Result<const std::vector<double>*> GgufFile::get_float_array(std::string_view key) const {
  HKV_ASSIGN_OR_RETURN(const GgufValue* v, require(
                                               *this, key,
                                               [](const GgufValue& x) {
                                                 return x.type == GgufType::kArray &&
                                                        x.floats.size() == x.array_size;
                                               },
                                               "an array of floats"));
  return &v->floats;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::span<const uint8_t> GgufFile::tensor_data(const GgufTensorInfo& info) const {
  return file_.bytes().subspan(data_offset_ + info.offset, info.num_bytes);
}

}  // namespace hkv::model
