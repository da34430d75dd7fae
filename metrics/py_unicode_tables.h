// Generated Python 3.11 character-property tables (metrics/py_unicode_tables.cc, written by
// tools/reference/make_py_unicode_tables.py). Ranges are sorted, disjoint and inclusive.
#pragma once

#include <cstdint>
#include <span>

namespace hkv::jobs::py_unicode_tables {

struct CodePointRange {
  char32_t first;
  char32_t last;
};

// Code points first, first + stride, ..., last lower-case to c + delta.
struct LowerRun {
  char32_t first;
  char32_t last;
  uint8_t stride;
  int32_t delta;
};

extern const char* const kSourceVersion;                      // "Python 3.11.7, Unicode 14.0.0"
extern const std::span<const CodePointRange> kSpace;          // str.isspace()
extern const std::span<const CodePointRange> kAlnum;          // str.isalnum()
extern const std::span<const CodePointRange> kDecimal;        // str.isdecimal()
extern const std::span<const CodePointRange> kCaseIgnorable;  // final-sigma rule: skipped
extern const std::span<const CodePointRange> kCased;  // final-sigma rule: cased, not ignorable
extern const std::span<const LowerRun> kLowerRuns;    // str.lower(), one-to-one part

}  // namespace hkv::jobs::py_unicode_tables
