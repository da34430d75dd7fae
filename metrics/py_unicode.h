// Python 3.11 `str` semantics for the benchmark metrics: UTF-8 <-> code points, lower(),
// isspace(), isalnum(), isdecimal() and split(). Every code point behaves as in CPython 3.11.7
// (Unicode 14.0): the properties come from tables generated off that interpreter
// (tools/reference/make_py_unicode_tables.py), not from the C locale or ICU.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hkv::jobs {

// Decodes UTF-8. Each byte that does not start a well-formed sequence (overlong, surrogate,
// beyond U+10FFFF, truncated) becomes U+FFFD, so any byte string yields a valid Python str.
std::u32string utf8_decode(std::string_view utf8);
std::string utf8_encode(std::u32string_view text);

bool py_isspace(char32_t c);    // str.isspace(): what str.split() splits on
bool py_isalnum(char32_t c);    // str.isalnum()
bool py_isdecimal(char32_t c);  // str.isdecimal(): `re`'s \d in str patterns

// `re`'s \w for str patterns (what \b looks at): isalnum() or "_".
inline bool py_isword(char32_t c) {
  return c == U'_' || py_isalnum(c);
}

// str.lower(): full lower-casing, including U+0130 -> "i\u0307" and the final-sigma context rule
// for U+03A3.
std::u32string py_lower(std::u32string_view text);
std::string py_lower(std::string_view utf8);

// str.split() with no argument: runs of whitespace separate, leading/trailing ones are dropped.
// The views point into `text`.
std::vector<std::u32string_view> py_split(std::u32string_view text);
// The same on UTF-8, returning UTF-8 pieces.
std::vector<std::string> py_split(std::string_view utf8);

// Length in code points (Python len()) of UTF-8 text, counting invalid bytes as one each.
size_t py_len(std::string_view utf8);

}  // namespace hkv::jobs
