// The limits every sweep is held to before any work starts (README "Limits"). They keep one sweep
// file from exhausting the coordinator's memory or CPU: each is checked on the spec, by
// arithmetic, before anything is expanded or stored, and a violation is InvalidArgument naming
// the limit, the value and the field.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {

inline constexpr int64_t kMaxSweepTextBytes = 1 << 20;  // the sweep file (YAML or JSON)
inline constexpr int64_t kMaxYamlNodes = 100000;        // after alias expansion
inline constexpr int kMaxYamlDepth = 64;                // nesting of mappings and sequences
inline constexpr int64_t kMaxGridAxis = 10000;  // needle/heads lengths or depths of one block
inline constexpr int64_t kMaxConfigsPerSweep = 10000;
inline constexpr int64_t kMaxTasksPerSweep = 2000000;
inline constexpr int64_t kMaxResultRowsPerSweep = 20000000;  // tasks x their configs

struct SweepSize {
  int64_t configs = 0;      // distinct grid points, at most (before de-duplication)
  int64_t tasks = 0;        // work units
  int64_t result_rows = 0;  // tasks x the configs each is decoded with
};

// The size a valid spec expands to, computed without expanding it (saturating, never overflows).
SweepSize sweep_size(const SweepSpec& spec);
// InvalidArgument naming the first limit `spec` exceeds.
Status check_sweep_limits(const SweepSpec& spec);
// InvalidArgument when `text` is longer than kMaxSweepTextBytes, nests brackets ('[', '{') deeper
// than kMaxYamlDepth, or indents a line (spaces, "- ") deeper than 4 x kMaxYamlDepth columns:
// checked on the raw text, before a parser recurses into it.
Status check_sweep_text(std::string_view text, std::string_view source);

}  // namespace hkv::jobs
