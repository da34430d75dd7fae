// TempDir: mkdtemp under std::filesystem::temp_directory_path(), remove_all on destruction.
#include "common/temp_dir.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <utility>

namespace hkv {

Result<TempDir> TempDir::create(std::string_view prefix) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) {
    base = "/tmp";
  }
  std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return errorf(StatusCode::kInternal, "cannot make a temporary folder %s: %s", pattern.c_str(),
                  std::strerror(errno));
  }
  return TempDir(std::move(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    TempDir gone(std::move(*this));
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

Result<std::string> TempDir::write(const std::string& name, std::string_view contents) const {
  std::string full = path_ + "/" + name;
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) {
    return errorf(StatusCode::kDataLoss, "cannot write %zu bytes to %s", contents.size(),
                  full.c_str());
  }
  return full;
}

void TempDir::remove(const std::string& name) const {
  std::error_code ec;
  std::filesystem::remove(path_ + "/" + name, ec);
}

}  // namespace hkv
