// Indel distance by the classic LCS dynamic programme over two rows (O(len(a) * len(b)) time,
// O(min) memory); the metric compares one code line with one reference line, so this is cheap.
#include "metrics/levenshtein.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "metrics/py_unicode.h"

namespace hkv::jobs {
namespace {

int64_t lcs_length(std::u32string_view a, std::u32string_view b) {
  if (a.size() < b.size()) {
    std::swap(a, b);  // b is the shorter: one row of len(b) + 1
  }
  std::vector<int64_t> row(b.size() + 1, 0);
  for (char32_t ca : a) {
    int64_t diagonal = 0;  // row[j - 1] of the previous row
    for (size_t j = 1; j <= b.size(); ++j) {
      int64_t above = row[j];
      row[j] = ca == b[j - 1] ? diagonal + 1 : std::max(above, row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

int64_t indel_distance(std::u32string_view a, std::u32string_view b) {
  return static_cast<int64_t>(a.size() + b.size()) - 2 * lcs_length(a, b);
}

double levenshtein_ratio(std::u32string_view a, std::u32string_view b) {
  int64_t lensum = static_cast<int64_t>(a.size() + b.size());
  if (lensum == 0) {
    return 1.0;
  }
  double normalized_distance =
      static_cast<double>(indel_distance(a, b)) / static_cast<double>(lensum);
  return 1.0 - normalized_distance;
}

int fuzz_ratio(std::string_view a, std::string_view b) {
  std::u32string ua = utf8_decode(a);
  std::u32string ub = utf8_decode(b);
  if (ua == ub) {
    return 100;  // utils.check_for_equivalence runs before check_empty_string
  }
  if (ua.empty() || ub.empty()) {
    return 0;
  }
  // utils.intr: int(round(x)); std::nearbyint rounds half to even in the default mode, as
  // Python's round() does.
  return static_cast<int>(std::nearbyint(100.0 * levenshtein_ratio(ua, ub)));
}

}  // namespace hkv::jobs
