// UTF-8 and byte-level alphabet helpers. The lossy decoder follows Rust's Utf8Chunks (the Unicode
// "maximal subpart" practice), because HF decoders end in String::from_utf8_lossy.
#include "tokenizer/tokenizer_text.h"

#include <array>
#include <utility>

#include "common/utf8.h"

namespace hkv::model::internal {
namespace {

// Expected length of the sequence that `lead` starts and the allowed range of its second byte;
// length 0 for a byte that can never start a sequence. The narrower second-byte ranges reject
// overlong forms (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
struct LeadInfo {
  size_t length = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
};

LeadInfo lead_info(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) {
    return {2, 0x80, 0xBF};
  }
  if (lead == 0xE0) {
    return {3, 0xA0, 0xBF};
  }
  if (lead == 0xED) {
    return {3, 0x80, 0x9F};
  }
  if (lead >= 0xE1 && lead <= 0xEF) {
    return {3, 0x80, 0xBF};
  }
  if (lead == 0xF0) {
    return {4, 0x90, 0xBF};
  }
  if (lead >= 0xF1 && lead <= 0xF3) {
    return {4, 0x80, 0xBF};
  }
  if (lead == 0xF4) {
    return {4, 0x80, 0x8F};
  }
  return {};
}

bool is_continuation(uint8_t byte) {
  return (byte & 0xC0) == 0x80;
}

// Bytes of the longest prefix at text[pos] that is, or could still become, a valid sequence.
// Equals the full sequence length exactly when the character is complete and valid.
size_t valid_prefix_length(std::string_view text, size_t pos, size_t* expected) {
  auto lead = static_cast<uint8_t>(text[pos]);
  if (lead < 0x80) {
    *expected = 1;
    return 1;
  }
  LeadInfo info = lead_info(lead);
  *expected = info.length;
  if (info.length == 0) {
    return 0;
  }
  size_t n = 1;
  if (pos + 1 < text.size()) {
    auto second = static_cast<uint8_t>(text[pos + 1]);
    if (second >= info.second_min && second <= info.second_max) {
      n = 2;
      while (n < info.length && pos + n < text.size() &&
             is_continuation(static_cast<uint8_t>(text[pos + n]))) {
        ++n;
      }
    }
  }
  return n;
}

std::array<int16_t, 324> make_unicode_to_byte() {
  std::array<int16_t, 324> table{};
  table.fill(-1);
  for (int b = 0; b < 256; ++b) {
    table[byte_to_unicode(static_cast<uint8_t>(b))] = static_cast<int16_t>(b);
  }
  return table;
}

}  // namespace

size_t utf8_char_length(std::string_view text, size_t pos) {
  char32_t cp = 0;
  return utf8_decode_one(text, pos, &cp);
}

char32_t utf8_decode(std::string_view text, size_t pos, size_t* length) {
  char32_t cp = 0;
  *length = utf8_decode_one(text, pos, &cp);
  return *length > 0 ? cp : 0xFFFD;
}

bool utf8_is_valid(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    size_t n = utf8_char_length(text, pos);
    if (n == 0) {
      return false;
    }
    pos += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    size_t expected = 0;
    size_t n = valid_prefix_length(bytes, pos, &expected);
    if (n != 0 && n == expected) {
      out.append(bytes.substr(pos, n));
      pos += n;
    } else {
      out.append("\xEF\xBF\xBD");
      pos += n == 0 ? 1 : n;
    }
  }
  return out;
}

char32_t byte_to_unicode(uint8_t byte) {
  auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  if (printable(byte)) {
    return byte;
  }
  int shifted = 0;  // how many non-printable bytes come before this one
  for (int b = 0; b < byte; ++b) {
    shifted += printable(b) ? 0 : 1;
  }
  return static_cast<char32_t>(256 + shifted);
}

int unicode_to_byte(char32_t c) {
  static const std::array<int16_t, 324> table = make_unicode_to_byte();
  return c < table.size() ? table[c] : -1;
}

std::string byte_level_encode(std::string_view bytes) {
  static const std::array<std::string, 256> encoded = [] {
    std::array<std::string, 256> out;
    for (int b = 0; b < 256; ++b) {
      utf8_append(out[b], byte_to_unicode(static_cast<uint8_t>(b)));
    }
    return out;
  }();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char byte : bytes) {
    out += encoded[static_cast<uint8_t>(byte)];
  }
  return out;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit = text.find(from); hit != std::string_view::npos; hit = text.find(from, pos)) {
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::string sentencepiece_normalize(std::string_view text) {
  if (text.empty()) {
    return std::string();
  }
  return std::string(kMetaSpace) + replace_all(text, " ", kMetaSpace);
}

std::string clean_up_tokenization(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kReplacements[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kReplacements) {
    text = replace_all(text, from, to);
  }
  return text;
}

}  // namespace hkv::model::internal
