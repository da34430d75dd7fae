// UTF-8, once for the project: encoding and strict decoding of one code point, and Python's
// str.strip(). Shared by the tokenizers and chat templates (model/) and by the prompt builders
// and the Python-string emulation of the metrics (jobs/).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hkv {

// Appends `c` (a Unicode scalar value) to `out` as 1-4 UTF-8 bytes.
inline void utf8_append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Decodes the sequence at text[pos]: its length (1-4), with the code point in *cp, or 0 when the
// bytes there are not valid UTF-8 (RFC 3629: no overlong forms, surrogates or values past
// U+10FFFF; a sequence cut off by the end of `text` is invalid).
size_t utf8_decode_one(std::string_view text, size_t pos, char32_t* cp);

// Python's str.isspace(): Unicode White_Space plus the separators U+001C..U+001F.
bool is_python_space(char32_t c);

// Python's str.strip() on UTF-8 text: leading and trailing is_python_space characters removed
// (an invalid sequence ends the stripping, as a non-space would).
std::string_view python_strip(std::string_view text);

}  // namespace hkv
