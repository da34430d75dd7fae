// PCRE2 regexes (UTF + Unicode properties, JIT) with the semantics HF `tokenizers` gets from
// Oniguruma: `\s`/`\S` mean Unicode White_Space, and Split(Isolated) keeps both the matches and the
// gaps between them as pieces. Internal to tokenizer/.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;
struct pcre2_real_jit_stack_8;

namespace hkv::model::internal {

// GPT-2's pre-tokenizer pattern (HF ByteLevel use_regex=true); TokenizerSpec::split_regex == ""
// means this.
inline constexpr std::string_view kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// A byte range [begin, end) of some text.
struct TextSpan {
  size_t begin = 0;
  size_t end = 0;
};

// Per-call matching state (match data and a JIT stack). Not shareable between threads; create
// one per encode call.
class RegexScratch {
 public:
  RegexScratch();
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;
  ~RegexScratch();

  // The first engine error of this encode call ("" when none): a match that hit a PCRE2 limit.
  // The text it was matching is then left uncut, and the caller must report the error.
  const std::string& error() const { return error_; }

 private:
  friend class Regex;
  pcre2_real_match_data_8* match_data_ = nullptr;
  pcre2_real_match_context_8* context_ = nullptr;
  pcre2_real_jit_stack_8* jit_stack_ = nullptr;
  std::string error_;
};

class Regex {
 public:
  // Compiles `pattern` (Oniguruma/PCRE syntax). InvalidArgument names the pattern and offset.
  static Result<Regex> compile(std::string_view pattern);

  Regex(Regex&&) noexcept = default;
  Regex& operator=(Regex&&) noexcept = default;
  ~Regex();

  // Appends the pieces HF Split(behavior=Isolated) cuts `text` into, as spans offset by `base`:
  // every non-empty match and every non-empty gap between matches, in order. `text` must be
  // valid UTF-8 (it is not re-checked).
  void split_isolated(std::string_view text,
                      size_t base,
                      RegexScratch& scratch,
                      std::vector<TextSpan>& out) const;

  // Whether the pattern matches starting exactly at text[pos]; `end` receives the match end.
  bool match_at(std::string_view text, size_t pos, RegexScratch& scratch, size_t* end) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
  };

  Regex(std::unique_ptr<pcre2_real_code_8, CodeDeleter> code, std::string pattern);
  // pcre2_match with the scratch's JIT stack; returns false on no match. The match limit grows
  // with the subject (long runs of one class, 12 M spaces, are legitimate); an engine error that
  // still happens (a pathological pattern) is recorded in scratch.error() and reads as no match.
  bool find(std::string_view text,
            size_t start,
            uint32_t options,
            RegexScratch& scratch,
            TextSpan* match) const;

  std::unique_ptr<pcre2_real_code_8, CodeDeleter> code_;
  std::string pattern_;
};

// Rewrites Oniguruma-only escapes to PCRE2: `\s` -> `\p{White_Space}`, `\S` -> `\P{White_Space}`
// (PCRE2's UCP `\s` also matches U+180E, Oniguruma's does not). Exposed for tests.
std::string onig_to_pcre2_pattern(std::string_view pattern);

}  // namespace hkv::model::internal
