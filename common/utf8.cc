// Strict UTF-8 decoding and Python's str.strip().
#include "common/utf8.h"

#include <cstdint>

namespace hkv {

size_t utf8_decode_one(std::string_view text, size_t pos, char32_t* cp) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const uint8_t lead = byte(0);
  size_t len = 0;
  char32_t value = 0;
  char32_t min_value = 0;
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2, value = lead & 0x1F, min_value = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, value = lead & 0x0F, min_value = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, value = lead & 0x07, min_value = 0x10000;
  } else {
    return 0;
  }
  if (pos + len > text.size()) {
    return 0;
  }
  for (size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  *cp = value;
  return len;
}

bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string_view python_strip(std::string_view text) {
  size_t begin = 0;
  char32_t cp = 0;
  while (begin < text.size()) {
    const size_t len = utf8_decode_one(text, begin, &cp);
    if (len == 0 || !is_python_space(cp)) {
      break;
    }
    begin += len;
  }
  size_t end = text.size();
  while (end > begin) {
    // Step back to the lead byte of the last sequence (at most 3 continuation bytes).
    size_t start = end - 1;
    while (start > begin && end - start < 4 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) {
      --start;
    }
    if (utf8_decode_one(text, start, &cp) != end - start || !is_python_space(cp)) {
      break;
    }
    end = start;
  }
  return text.substr(begin, end - begin);
}

}  // namespace hkv
