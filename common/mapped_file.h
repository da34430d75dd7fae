// Read-only memory map of a whole file (RAII, move-only). Every access goes through the
// bounds-checked span() so a corrupt offset yields a Status instead of a fault.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"

namespace hkv {

class MappedFile {
 public:
  // Maps `path` read-only. NotFound / FailedPrecondition (a directory, unreadable) with the path.
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::string& path() const { return path_; }

  uint64_t size() const { return size_; }

  // The whole file; empty for a zero-length file.
  std::span<const uint8_t> bytes() const { return {data_, static_cast<size_t>(size_)}; }

  // [offset, offset + length) of the file, or OutOfRange naming the file, the range and the size.
  // Overflow-safe: offset + length is never computed when it could wrap.
  Result<std::span<const uint8_t>> span(uint64_t offset, uint64_t length) const;

 private:
  void reset();

  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// Reads a whole (small) file into a string: configs, JSON, prompts.
Result<std::string> read_file_to_string(const std::string& path);

}  // namespace hkv
