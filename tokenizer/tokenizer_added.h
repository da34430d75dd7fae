// Finds added tokens in text the way HF `tokenizers` AddedVocabulary::find_matches does:
// leftmost-longest matches (its Aho-Corasick MatchKind::LeftmostLongest), then the per-token
// single_word / lstrip / rstrip rules. Internal to tokenizer/.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_regex.h"

namespace hkv::model::internal {

// One piece of a split: an added token (id >= 0) or text for the model (id == -1).
struct AddedSegment {
  size_t begin = 0;
  size_t end = 0;
  int32_t id = -1;
};

class AddedTokenMatcher {
 public:
  // `patterns[i]` is the text that stands for `tokens[i]` (its content, or for normalized tokens
  // the normalized content). Empty patterns never match.
  static Result<AddedTokenMatcher> create(const std::vector<AddedToken>& tokens,
                                          const std::vector<std::string>& patterns);

  bool empty() const { return entries_.empty(); }

  // Appends the segments of `text`: matched tokens (with stripped whitespace included in their
  // span) and the non-empty text between them. Empty text gives no segments.
  void split(std::string_view text, RegexScratch& scratch, std::vector<AddedSegment>& out) const;

 private:
  struct Entry {
    std::string pattern;
    int32_t id = 0;
    bool lstrip = false;
    bool rstrip = false;
    bool single_word = false;
  };

  struct Match {
    size_t begin = 0;
    size_t end = 0;
    const Entry* entry = nullptr;
  };

  bool find_from(std::string_view text, size_t pos, Match* match) const;
  bool is_single_word(std::string_view text, const Match& match, RegexScratch& scratch) const;
  size_t whitespace_before(std::string_view text, size_t pos, RegexScratch& scratch) const;
  size_t whitespace_after(std::string_view text, size_t pos, RegexScratch& scratch) const;

  std::vector<Entry> entries_;
  std::array<std::vector<uint32_t>, 256> by_first_byte_;  // entry indices, longest pattern first
  // The `regex` crate classes HF uses: \s is White_Space; \w adds marks, digits, connectors.
  std::optional<Regex> white_space_;
  std::optional<Regex> word_char_;
};

}  // namespace hkv::model::internal
