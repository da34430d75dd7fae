// Recursive-descent reader for jieba's probability files; see jieba_py_literal.h. It works on the
// raw bytes and decodes (strictly) only the UTF-8 inside string literals.
#include "metrics/jieba_py_literal.h"

#include <charconv>
#include <set>
#include <system_error>
#include <utility>

#include "metrics/py_unicode.h"

namespace hkv::jobs {
namespace {

constexpr int kMaxDepth = 8;  // prob_emit.py nests two levels; bounds recursion on bad input
constexpr std::string_view kFutureImport = "from __future__ import unicode_literals";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

class Parser {
 public:
  Parser(std::string_view source, const std::string& path) : src_(source), path_(path) {}

  Result<std::vector<PyLiteralNumber>> parse() {
    skip_space();
    if (src_.substr(pos_).starts_with(kFutureImport)) {
      pos_ += kFutureImport.size();
    }
    skip_space();
    if (!consume('P')) {
      return error("expected the assignment 'P={...}'");
    }
    skip_space();
    if (!consume('=')) {
      return error("expected '=' after 'P'");
    }
    skip_space();
    std::vector<std::u32string> keys;
    HKV_RETURN_IF_ERROR(parse_dict(keys));
    skip_space();
    if (pos_ != src_.size()) {
      return error("expected the end of the file after the dict literal");
    }
    return std::move(out_);
  }

 private:
  Status error(const std::string& what) const {
    return errorf(StatusCode::kDataLoss, "'%s' byte offset %zu: %s", path_.c_str(), pos_,
                  what.c_str());
  }

  // Whitespace, newlines and # comments, which Python allows between the tokens used here.
  void skip_space() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') {
          ++pos_;
        }
      } else {
        break;
      }
    }
  }

  bool consume(char c) {
    if (pos_ < src_.size() && src_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // '{' [key ':' value (',' key ':' value)* [',']] '}' with value a number or a dict.
  Status parse_dict(std::vector<std::u32string>& keys) {
    if (keys.size() >= kMaxDepth) {
      return error("dicts nested deeper than " + std::to_string(kMaxDepth));
    }
    if (!consume('{')) {
      return error("expected '{'");
    }
    std::set<std::u32string> seen;
    skip_space();
    while (!consume('}')) {
      HKV_ASSIGN_OR_RETURN(std::u32string key, parse_string());
      if (!seen.insert(key).second) {
        return error("duplicate key '" + utf8_encode(key) + "'");
      }
      skip_space();
      if (!consume(':')) {
        return error("expected ':' after a key");
      }
      skip_space();
      keys.push_back(std::move(key));
      if (pos_ < src_.size() && src_[pos_] == '{') {
        HKV_RETURN_IF_ERROR(parse_dict(keys));
      } else {
        HKV_ASSIGN_OR_RETURN(double value, parse_number());
        out_.push_back({keys, value});
      }
      keys.pop_back();
      skip_space();
      if (!consume(',')) {
        skip_space();
        if (!consume('}')) {
          return error("expected ',' or '}' after a value");
        }
        break;
      }
      skip_space();
    }
    if (seen.empty()) {
      return error("empty dict");
    }
    return Status::ok_status();
  }

  // A string literal with an optional u prefix.
  Result<std::u32string> parse_string() {
    consume('u');
    if (pos_ >= src_.size() || (src_[pos_] != '\'' && src_[pos_] != '"')) {
      return error("expected a string key");
    }
    char quote = src_[pos_++];
    std::u32string out;
    size_t raw_begin = pos_;
    auto flush_raw = [&]() -> Status {
      std::string_view raw = src_.substr(raw_begin, pos_ - raw_begin);
      std::u32string decoded = utf8_decode(raw);
      if (utf8_encode(decoded) != raw) {
        return error("invalid UTF-8 in a string literal");
      }
      out += decoded;
      return Status::ok_status();
    };
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        return error("unterminated string literal");
      }
      char c = src_[pos_];
      if (c == quote) {
        HKV_RETURN_IF_ERROR(flush_raw());
        ++pos_;
        return out;
      }
      if (c != '\\') {
        ++pos_;
        continue;
      }
      HKV_RETURN_IF_ERROR(flush_raw());
      HKV_ASSIGN_OR_RETURN(char32_t escaped, parse_escape());
      out.push_back(escaped);
      raw_begin = pos_;
    }
  }

  // After a backslash (at pos_): the escapes listed in the header.
  Result<char32_t> parse_escape() {
    ++pos_;
    if (pos_ >= src_.size()) {
      return error("unterminated escape");
    }
    char c = src_[pos_++];
    switch (c) {
      case '\\':
      case '\'':
      case '"':
        return static_cast<char32_t>(c);
      case 'n':
        return U'\n';
      case 'r':
        return U'\r';
      case 't':
        return U'\t';
      case 'x':
        return parse_hex(2);
      case 'u':
        return parse_hex(4);
      case 'U':
        return parse_hex(8);
      default:
        --pos_;
        return error(std::string("unsupported escape '\\") + c + "'");
    }
  }

  Result<char32_t> parse_hex(int digits) {
    uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      int h = pos_ < src_.size() ? hex_value(src_[pos_]) : -1;
      if (h < 0) {
        return error("expected " + std::to_string(digits) + " hex digits in an escape");
      }
      value = value * 16 + static_cast<uint32_t>(h);
      ++pos_;
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return error("escape is not a Unicode scalar value");
    }
    return static_cast<char32_t>(value);
  }

  // -?D+(.D*)?([eE][+-]?D+)? where D is an ASCII digit; no leading zeros on integers.
  Result<double> parse_number() {
    size_t begin = pos_;
    consume('-');
    size_t int_begin = pos_;
    while (pos_ < src_.size() && is_digit(src_[pos_])) {
      ++pos_;
    }
    size_t int_digits = pos_ - int_begin;
    if (int_digits == 0) {
      return error("expected a number or a dict");
    }
    bool is_float = false;
    if (consume('.')) {
      is_float = true;
      while (pos_ < src_.size() && is_digit(src_[pos_])) {
        ++pos_;
      }
    }
    if (consume('e') || consume('E')) {
      is_float = true;
      if (!consume('+')) {
        consume('-');
      }
      size_t exp_begin = pos_;
      while (pos_ < src_.size() && is_digit(src_[pos_])) {
        ++pos_;
      }
      if (pos_ == exp_begin) {
        return error("expected exponent digits");
      }
    }
    if (!is_float && int_digits > 1 && src_[int_begin] == '0') {
      return error("integer literal with a leading zero");
    }
    // from_chars rounds correctly, as Python's float literals do, and ignores the C locale.
    double value = 0.0;
    auto [end, ec] = std::from_chars(src_.data() + begin, src_.data() + pos_, value);
    if (ec != std::errc() || end != src_.data() + pos_) {
      return error("number '" + std::string(src_.substr(begin, pos_ - begin)) +
                   "' does not convert to a finite double");
    }
    return value;
  }

  std::string_view src_;
  const std::string& path_;
  size_t pos_ = 0;
  std::vector<PyLiteralNumber> out_;
};

}  // namespace

Result<std::vector<PyLiteralNumber>> parse_py_dict_literal(std::string_view source,
                                                           const std::string& path) {
  return Parser(source, path).parse();
}

}  // namespace hkv::jobs
