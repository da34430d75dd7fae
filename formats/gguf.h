// GGUF v2/v3 reader: header, metadata key/values and tensor infos, all validated (bounded counts,
// overflow-checked offsets inside the file) before anything uses them. Tensor data stays in the
// mmap; formats/weights.cc dequantizes it.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/mapped_file.h"
#include "common/status.h"
#include "formats/dequant.h"

namespace hkv::model {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

const char* gguf_type_name(GgufType type);

// One metadata value. Scalars use the field of their kind; arrays hold their elements in the
// vector of their element kind (nested arrays keep only their element count).
struct GgufValue {
  GgufType type = GgufType::kUint8;
  GgufType array_type = GgufType::kUint8;  // element type when type == kArray
  uint64_t array_size = 0;
  int64_t int_value = 0;  // every integer type; uint64 above INT64_MAX is rejected
  double float_value = 0.0;
  bool bool_value = false;
  std::string string_value;
  std::vector<int64_t> ints;  // integer and bool arrays
  std::vector<double> floats;
  std::vector<std::string> strings;

  bool is_integer() const;

  bool is_float() const { return type == GgufType::kFloat32 || type == GgufType::kFloat64; }

  // "u32 8192", "string 'llama'", "array<string>[49152]" for inspect output.
  std::string summary() const;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // GGML order: dims[0] is the fastest-varying (row length)
  GgmlTypeInfo type;
  uint64_t offset = 0;  // relative to the data section
  uint64_t num_elements = 0;
  uint64_t num_bytes = 0;

  // Row-major shape as in PyTorch/safetensors: dims reversed ([out, in] for a weight).
  std::vector<int64_t> shape() const { return {dims.rbegin(), dims.rend()}; }
};

class GgufFile {
 public:
  static Result<GgufFile> open(const std::string& path);

  const std::string& path() const { return file_.path(); }

  uint32_t version() const { return version_; }

  uint64_t file_bytes() const { return file_.size(); }

  uint64_t alignment() const { return alignment_; }

  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }

  const GgufValue* find(std::string_view key) const;
  // Typed access; NotFound or InvalidArgument errors name the file and the key.
  Result<std::string> get_string(std::string_view key) const;
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;  // integers are accepted
  Result<bool> get_bool(std::string_view key) const;
  Result<const std::vector<std::string>*> get_string_array(std::string_view key) const;
  Result<const std::vector<int64_t>*> get_int_array(std::string_view key) const;
  Result<const std::vector<double>*> get_float_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  const GgufTensorInfo* find_tensor(std::string_view name) const;
  // The raw bytes of one tensor (validated at open to lie inside the file).
  std::span<const uint8_t> tensor_data(const GgufTensorInfo& info) const;

 private:
  friend class GgufParser;
  MappedFile file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t, std::less<>> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace hkv::model
