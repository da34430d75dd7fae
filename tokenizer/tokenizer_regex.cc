// PCRE2 wrapper for the tokenizer's pre-tokenizer regexes. Subjects are valid UTF-8 (encode
// sanitises its input first), so matching passes PCRE2_NO_UTF_CHECK: without it PCRE2 re-validates
// the whole subject on every call, which is quadratic over a long prompt.
#include "tokenizer/tokenizer_regex.h"

#include <algorithm>
#include <cstdint>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utility>

#include "tokenizer/tokenizer_text.h"

namespace hkv::model::internal {
namespace {

// The JIT stack grows on demand up to this size; runs of tens of thousands of spaces stay far
// below it (checked in tokenizer_test.cc).
constexpr size_t kJitStackStartBytes = 32 * 1024;
constexpr size_t kJitStackMaxBytes = 16 * 1024 * 1024;

std::string pcre2_error_text(int code) {
  PCRE2_UCHAR buffer[256];
  int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
  return n < 0 ? "unknown PCRE2 error " + std::to_string(code)
               : std::string(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

}  // namespace

std::string onig_to_pcre2_pattern(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '\\' || i + 1 == pattern.size()) {
      out.push_back(pattern[i]);
      continue;
    }
    char next = pattern[++i];
    if (next == 's') {
      out += "\\p{White_Space}";
    } else if (next == 'S') {
      out += "\\P{White_Space}";
    } else {
      out.push_back('\\');
      out.push_back(next);
    }
  }
  return out;
}

RegexScratch::RegexScratch() {
  // One ovector pair is enough: only the whole match is used, never capture groups.
  match_data_ = pcre2_match_data_create(1, nullptr);
  context_ = pcre2_match_context_create(nullptr);
  jit_stack_ = pcre2_jit_stack_create(kJitStackStartBytes, kJitStackMaxBytes, nullptr);
  HKV_CHECK(match_data_ != nullptr && context_ != nullptr) << "PCRE2 allocation failed";
  if (jit_stack_ != nullptr) {
    pcre2_jit_stack_assign(context_, nullptr, jit_stack_);
  }
}

RegexScratch::~RegexScratch() {
  pcre2_jit_stack_free(jit_stack_);
  pcre2_match_context_free(context_);
  pcre2_match_data_free(match_data_);
}

void Regex::CodeDeleter::operator()(pcre2_real_code_8* code) const {
  pcre2_code_free(code);
}

Regex::Regex(std::unique_ptr<pcre2_real_code_8, CodeDeleter> code, std::string pattern)
    : code_(std::move(code)), pattern_(std::move(pattern)) {}

Regex::~Regex() = default;

Result<Regex> Regex::compile(std::string_view pattern) {
  std::string translated = onig_to_pcre2_pattern(pattern);
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                    PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    return errorf(StatusCode::kInvalidArgument,
                  "regex '%.*s' does not compile (as '%s'): %s at offset %zu",
                  static_cast<int>(pattern.size()), pattern.data(), translated.c_str(),
                  pcre2_error_text(error).c_str(), static_cast<size_t>(offset));
  }
  // JIT is an optimisation only: when unavailable pcre2_match interprets the pattern.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return Regex(std::unique_ptr<pcre2_real_code_8, CodeDeleter>(code), std::string(pattern));
}

bool Regex::find(std::string_view text,
                 size_t start,
                 uint32_t options,
                 RegexScratch& scratch,
                 TextSpan* match) const {
  // PCRE2's default of 10 M steps is exceeded by one greedy run over a long subject; linear in
  // its length keeps legitimate inputs working while a backtracking blow-up still stops.
  const uint64_t limit =
      std::min<uint64_t>(UINT32_MAX, 10'000'000ULL + 16ULL * (text.size() - start));
  pcre2_set_match_limit(scratch.context_, static_cast<uint32_t>(limit));
  int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start,
                       options | PCRE2_NO_UTF_CHECK, scratch.match_data_, scratch.context_);
  if (rc == PCRE2_ERROR_NOMATCH) {
    return false;
  }
  if (rc < 0) {
    if (scratch.error_.empty()) {
      scratch.error_ = "PCRE2 match of '" + pattern_ + "' failed at byte " + std::to_string(start) +
                       " of a " + std::to_string(text.size()) +
                       "-byte piece: " + pcre2_error_text(rc);
    }
    return false;
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.match_data_);
  match->begin = ovector[0];
  match->end = ovector[1];
  return true;
}

void Regex::split_isolated(std::string_view text,
                           size_t base,
                           RegexScratch& scratch,
                           std::vector<TextSpan>& out) const {
  size_t gap_begin = 0;
  size_t pos = 0;
  TextSpan match;
  while (pos <= text.size() && find(text, pos, 0, scratch, &match)) {
    if (match.end == match.begin) {
      // Empty matches cut nothing (HF drops empty pieces); step over one character.
      if (match.begin >= text.size()) {
        break;
      }
      size_t n = utf8_char_length(text, match.begin);
      pos = match.begin + (n == 0 ? 1 : n);
      continue;
    }
    if (match.begin > gap_begin) {
      out.push_back({base + gap_begin, base + match.begin});
    }
    out.push_back({base + match.begin, base + match.end});
    gap_begin = pos = match.end;
  }
  if (gap_begin < text.size()) {
    out.push_back({base + gap_begin, base + text.size()});
  }
}

bool Regex::match_at(std::string_view text, size_t pos, RegexScratch& scratch, size_t* end) const {
  TextSpan match;
  if (!find(text, pos, PCRE2_ANCHORED, scratch, &match)) {
    return false;
  }
  *end = match.end;
  return true;
}

}  // namespace hkv::model::internal
