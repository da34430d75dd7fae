// A uniquely named temporary folder, removed with everything in it when the owner goes. Used by
// the tests' fixtures and the fuzz harnesses, whose target APIs take paths.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace hkv {

class TempDir {
 public:
  // Makes $TMPDIR-or-/tmp/<prefix>-XXXXXX; Internal (with errno's text) when that fails.
  static Result<TempDir> create(std::string_view prefix);

  TempDir() = default;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

  // Writes `contents` to path()/name, replacing it; returns the full path. DataLoss naming the
  // file when the write fails.
  Result<std::string> write(const std::string& name, std::string_view contents) const;
  // Removes path()/name if it is there.
  void remove(const std::string& name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}

  std::string path_;  // "" once moved from
};

}  // namespace hkv
