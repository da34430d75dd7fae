// Small string helpers shared by every layer: printf-style formatting and byte-size rendering.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hkv {

std::string strformat(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string vstrformat(const char* fmt, va_list args);

// 1536 -> "1.50 KiB"; exact bytes below 1 KiB.
std::string format_bytes(uint64_t bytes);

// Splits on `sep`, keeping empty fields.
std::vector<std::string> split(std::string_view text, char sep);

std::string_view trim(std::string_view text);

bool starts_with(std::string_view text, std::string_view prefix);

// &, <, > and " as XML/HTML entities (text and attribute values of SVG and HTML pages).
std::string xml_escape(std::string_view text);

// Equality in time independent of where the strings differ (secrets: tokens, cookies).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hkv
