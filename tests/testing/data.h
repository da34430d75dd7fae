// Locating committed goldens (tests/golden/) and the shared research data for tests. The shared
// data is $HEADKV_DATA_DIR, else ../shared/data beside the repository; tests that need it skip
// with a clear message when it is absent.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

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

inline std::string shared_data_dir() {
  if (const char* env = std::getenv("HEADKV_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return source_dir() + "/../shared/data";
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
