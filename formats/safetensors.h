// safetensors reader (single file or sharded with model.safetensors.index.json). The header is
// validated completely before use: bounded size, known dtypes, numel x dtype size == byte range,
// ranges sorted without gaps or overlaps and covering the data buffer exactly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/mapped_file.h"
#include "common/status.h"

namespace hkv::model {

enum class StDType { kF64, kF32, kF16, kBf16, kI64, kI32, kI16, kI8, kU8, kBool };

const char* st_dtype_name(StDType dtype);
size_t st_dtype_size(StDType dtype);

struct StTensorInfo {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<int64_t> shape;  // row-major
  uint64_t begin = 0;          // byte offsets within the data buffer
  uint64_t end = 0;
  uint64_t num_elements() const;
};

class SafetensorsFile {
 public:
  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

  static Result<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_.path(); }

  const std::vector<StTensorInfo>& tensors() const { return tensors_; }

  const StTensorInfo* find(std::string_view name) const;
  std::span<const uint8_t> data(const StTensorInfo& info) const;

  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  Status parse_header(std::string_view header);

  MappedFile file_;
  uint64_t data_offset_ = 0;
  std::vector<StTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

// All shards of a model directory: model.safetensors, or model.safetensors.index.json and the
// shard files its weight_map names (each tensor must be in the shard the index says).
class SafetensorsModel {
 public:
  // `path` is a directory or a single .safetensors file.
  static Result<SafetensorsModel> open(const std::string& path);

  struct Entry {
    const SafetensorsFile* file;
    const StTensorInfo* info;
  };

  const Entry* find(std::string_view name) const;

  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }

  uint64_t total_bytes() const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace hkv::model
