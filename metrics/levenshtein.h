// fuzzywuzzy's fuzz.ratio with python-Levenshtein installed (Levenshtein 0.27 over rapidfuzz), the
// similarity LongBench's code_sim_score uses. Everything is on Python code points.
#pragma once

#include <cstdint>
#include <string_view>

namespace hkv::jobs {

// Indel distance: insertions and deletions only (a substitution costs 2), i.e.
// len(a) + len(b) - 2 * LCS(a, b).
int64_t indel_distance(std::u32string_view a, std::u32string_view b);

// Levenshtein.ratio(a, b) = 1.0 - indel_distance / (len(a) + len(b)), computed in that order
// (rapidfuzz's normalized similarity; (lensum - dist) / lensum differs in the last bit). 1.0 when
// both are empty.
double levenshtein_ratio(std::u32string_view a, std::u32string_view b);

// fuzz.ratio(a, b) on UTF-8 strings: 100 when equal (also both empty), else 0 when either is
// empty, else int(round(100 * ratio)) with Python's round-half-even.
int fuzz_ratio(std::string_view a, std::string_view b);

}  // namespace hkv::jobs
