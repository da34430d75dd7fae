// The harnesses' scratch folder (common/temp_dir.h) under /tmp/hkv-fuzz-<tag>-XXXXXX: each input
// is written to a fixed file name there (overwritten per input); the folder goes at exit. Failing
// to make or write it is the harness's own problem, not a finding, so it aborts loudly.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/temp_dir.h"

namespace hkv::fuzz {

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    Result<hkv::TempDir> dir = hkv::TempDir::create("hkv-fuzz-" + tag);
    if (!dir.ok()) {
      std::fprintf(stderr, "hkv fuzz: %s\n", dir.status().to_string().c_str());
      std::abort();
    }
    dir_ = std::move(dir).value();
  }

  std::string write(const std::string& name, const uint8_t* data, size_t size) const {
    Result<std::string> file =
        dir_.write(name, std::string_view(reinterpret_cast<const char*>(data), size));
    if (!file.ok()) {
      std::fprintf(stderr, "hkv fuzz: %s\n", file.status().to_string().c_str());
      std::abort();
    }
    return *file;
  }

  void remove(const std::string& name) const { dir_.remove(name); }

 private:
  hkv::TempDir dir_;
};

}  // namespace hkv::fuzz
