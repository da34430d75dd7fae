// HKV_FUZZ_VERBOSE=1 makes a harness print the Status of each call it makes (and keeps the
// library's info logs), for checking what a seed or a saved input reaches:
// `HKV_FUZZ_VERBOSE=1 build-fuzz/fuzz/fuzz_x input`. Off while fuzzing: printing would dominate.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "common/logging.h"
#include "common/status.h"

namespace hkv::fuzz {

inline bool verbose() {
  static const bool on = [] {
    const char* value = std::getenv("HKV_FUZZ_VERBOSE");
    return value != nullptr && value[0] != '\0' && value[0] != '0';
  }();
  return on;
}

// Once per process (call from a static initialiser): libraries log only errors while fuzzing.
inline bool quiet_logs() {
  if (!verbose()) {
    set_log_level(LogLevel::kError);
  }
  return true;
}

inline void log_status(const char* call, const Status& status) {
  if (verbose()) {
    std::fprintf(stderr, "  %s: %s\n", call, status.to_string().c_str());
  }
}

}  // namespace hkv::fuzz
