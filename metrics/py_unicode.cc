// Python str semantics over the generated tables; see py_unicode.h. The final-sigma rule is the
// one in CPython's unicodeobject.c (handle_capital_sigma), evaluated on the original text.
#include "metrics/py_unicode.h"

#include <algorithm>
#include <span>

#include "common/utf8.h"
#include "metrics/py_unicode_tables.h"

namespace hkv::jobs {
namespace {

namespace tables = py_unicode_tables;

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kCapitalSigma = 0x3A3;
constexpr char32_t kSmallSigma = 0x3C3;
constexpr char32_t kFinalSigma = 0x3C2;
constexpr char32_t kCapitalIWithDot = 0x130;
constexpr char32_t kCombiningDotAbove = 0x307;

bool in_ranges(std::span<const tables::CodePointRange> ranges, char32_t c) {
  auto it =
      std::upper_bound(ranges.begin(), ranges.end(), c,
                       [](char32_t v, const tables::CodePointRange& r) { return v < r.first; });
  return it != ranges.begin() && c <= std::prev(it)->last;
}

// One-to-one part of str.lower(); U+0130 and U+03A3 are handled by the caller.
char32_t lower_one(char32_t c) {
  if (c < 0x80) {
    return (c >= U'A' && c <= U'Z') ? c + 32 : c;
  }
  auto runs = tables::kLowerRuns;
  auto it = std::upper_bound(runs.begin(), runs.end(), c,
                             [](char32_t v, const tables::LowerRun& r) { return v < r.first; });
  if (it == runs.begin()) {
    return c;
  }
  const tables::LowerRun& run = *std::prev(it);
  if (c > run.last || (c - run.first) % run.stride != 0) {
    return c;
  }
  return static_cast<char32_t>(static_cast<int64_t>(c) + run.delta);
}

bool is_case_ignorable(char32_t c) {
  return in_ranges(tables::kCaseIgnorable, c);
}

bool is_cased(char32_t c) {
  return in_ranges(tables::kCased, c);
}

// CPython's handle_capital_sigma: final form when preceded by a cased letter and not followed
// by one, skipping case-ignorable code points on both sides.
char32_t lower_capital_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) {
    --j;
  }
  bool final_sigma = j > 0 && is_cased(text[j - 1]);
  if (final_sigma) {
    size_t k = i + 1;
    while (k < text.size() && is_case_ignorable(text[k])) {
      ++k;
    }
    final_sigma = k == text.size() || !is_cased(text[k]);
  }
  return final_sigma ? kFinalSigma : kSmallSigma;
}

}  // namespace

std::u32string utf8_decode(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    auto lead = static_cast<unsigned char>(utf8[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    char32_t c = 0;
    const size_t len = utf8_decode_one(utf8, i, &c);
    out.push_back(len > 0 ? c : kReplacement);  // one replacement per invalid byte
    i += len > 0 ? len : 1;
  }
  return out;
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    utf8_append(out, c);
  }
  return out;
}

bool py_isspace(char32_t c) {
  return in_ranges(tables::kSpace, c);
}

bool py_isalnum(char32_t c) {
  return in_ranges(tables::kAlnum, c);
}

bool py_isdecimal(char32_t c) {
  return in_ranges(tables::kDecimal, c);
}

std::u32string py_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    if (c == kCapitalSigma) {
      out.push_back(lower_capital_sigma(text, i));
    } else if (c == kCapitalIWithDot) {
      out.push_back(U'i');
      out.push_back(kCombiningDotAbove);
    } else {
      out.push_back(lower_one(c));
    }
  }
  return out;
}

std::string py_lower(std::string_view utf8) {
  return utf8_encode(py_lower(utf8_decode(utf8)));
}

std::vector<std::u32string_view> py_split(std::u32string_view text) {
  std::vector<std::u32string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && py_isspace(text[i])) {
      ++i;
    }
    size_t start = i;
    while (i < text.size() && !py_isspace(text[i])) {
      ++i;
    }
    if (i > start) {
      out.push_back(text.substr(start, i - start));
    }
  }
  return out;
}

std::vector<std::string> py_split(std::string_view utf8) {
  std::u32string text = utf8_decode(utf8);
  std::vector<std::string> out;
  for (std::u32string_view piece : py_split(std::u32string_view(text))) {
    out.push_back(utf8_encode(piece));
  }
  return out;
}

size_t py_len(std::string_view utf8) {
  return utf8_decode(utf8).size();
}

}  // namespace hkv::jobs
