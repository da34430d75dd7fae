// Locating committed goldens (tests/golden/) and the research data shipped in the repository
// (data/, see data/PROVENANCE.md) for tests. Shipped data is part of every clone, so a test that
// reads it fails, never skips, when a file is missing. Only the default model, fetched from PyPI
// by scripts/fetch-assets.sh, may be absent (tests skip with a message).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/data_file.h"

#ifndef HKV_SOURCE_DIR
#error "HKV_SOURCE_DIR must be defined by the test target"
#endif

namespace hkv::testing {

inline std::string source_dir() {
  return HKV_SOURCE_DIR;
}

inline std::string golden_path(const std::string& name) {
  return source_dir() + "/tests/golden/" + name;
}

// The repository's data/ folder (never $HEADKV_DATA_DIR: tests pin the shipped slices).
inline std::string repo_data_dir() {
  return source_dir() + "/data";
}

// The cache holding the default model (scripts/fetch-assets.sh).
inline std::string default_model_file() {
  std::string cache;
  if (const char* env = std::getenv("HEADKV_CACHE"); env != nullptr && *env != '\0') {
    cache = env;
  } else if (const char* home = std::getenv("HOME"); home != nullptr) {
    cache = std::string(home) + "/.cache/headkv";
  }
  return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

}  // namespace hkv::testing

// Skips the test unless `path` exists, naming what is missing and how to provide it.
#define HKV_SKIP_UNLESS_EXISTS(path, how)                           \
  do {                                                              \
    std::error_code hkv_ec;                                         \
    if (!std::filesystem::exists((path), hkv_ec)) {                 \
      GTEST_SKIP() << "missing " << (path) << " (" << (how) << ")"; \
    }                                                               \
  } while (0)

// Fails the test unless the shipped data file `path` (or `path`.gz), or folder `path`, exists.
#define HKV_ASSERT_DATA(path)                                                                   \
  ASSERT_TRUE(hkv::existing_data_file(path).has_value() || std::filesystem::is_directory(path)) \
      << "missing " << (path) << ": it ships in data/ (data/PROVENANCE.md)"
