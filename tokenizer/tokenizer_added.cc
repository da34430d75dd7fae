// Added-token matching. Candidates are bucketed by first byte and tried longest first, so the
// first hit at the leftmost position is the leftmost-longest match; the scan then resumes after
// that match even when single_word discards it, as HF's match iterator does.
#include "tokenizer/tokenizer_added.h"

#include <algorithm>

namespace hkv::model::internal {
namespace {

bool is_continuation(char byte) {
  return (static_cast<uint8_t>(byte) & 0xC0) == 0x80;
}

// Start of the character that ends just before `pos`.
size_t previous_char_start(std::string_view text, size_t pos) {
  size_t p = pos - 1;
  while (p > 0 && is_continuation(text[p])) {
    --p;
  }
  return p;
}

}  // namespace

Result<AddedTokenMatcher> AddedTokenMatcher::create(const std::vector<AddedToken>& tokens,
                                                    const std::vector<std::string>& patterns) {
  HKV_CHECK(tokens.size() == patterns.size()) << "one pattern per added token";
  AddedTokenMatcher matcher;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (patterns[i].empty()) {
      continue;
    }
    matcher.entries_.push_back(
        {patterns[i], tokens[i].id, tokens[i].lstrip, tokens[i].rstrip, tokens[i].single_word});
  }
  for (uint32_t i = 0; i < matcher.entries_.size(); ++i) {
    matcher.by_first_byte_[static_cast<uint8_t>(matcher.entries_[i].pattern[0])].push_back(i);
  }
  for (auto& bucket : matcher.by_first_byte_) {
    std::stable_sort(bucket.begin(), bucket.end(), [&](uint32_t a, uint32_t b) {
      return matcher.entries_[a].pattern.size() > matcher.entries_[b].pattern.size();
    });
  }
  HKV_ASSIGN_OR_RETURN(Regex white_space, Regex::compile("\\p{White_Space}"));
  HKV_ASSIGN_OR_RETURN(Regex word_char,
                       Regex::compile("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]"));
  matcher.white_space_.emplace(std::move(white_space));
  matcher.word_char_.emplace(std::move(word_char));
  return matcher;
}

bool AddedTokenMatcher::find_from(std::string_view text, size_t pos, Match* match) const {
  for (size_t p = pos; p < text.size(); ++p) {
    for (uint32_t index : by_first_byte_[static_cast<uint8_t>(text[p])]) {
      const Entry& entry = entries_[index];
      if (text.compare(p, entry.pattern.size(), entry.pattern) == 0) {
        *match = {p, p + entry.pattern.size(), &entry};
        return true;
      }
    }
  }
  return false;
}

bool AddedTokenMatcher::is_single_word(std::string_view text,
                                       const Match& match,
                                       RegexScratch& scratch) const {
  size_t unused = 0;
  bool word_before =
      match.begin > 0 &&
      word_char_->match_at(text, previous_char_start(text, match.begin), scratch, &unused);
  bool word_after =
      match.end < text.size() && word_char_->match_at(text, match.end, scratch, &unused);
  return !word_before && !word_after;
}

size_t AddedTokenMatcher::whitespace_before(std::string_view text,
                                            size_t pos,
                                            RegexScratch& scratch) const {
  size_t unused = 0;
  while (pos > 0) {
    size_t start = previous_char_start(text, pos);
    if (!white_space_->match_at(text, start, scratch, &unused)) {
      break;
    }
    pos = start;
  }
  return pos;
}

size_t AddedTokenMatcher::whitespace_after(std::string_view text,
                                           size_t pos,
                                           RegexScratch& scratch) const {
  size_t end = 0;
  while (pos < text.size() && white_space_->match_at(text, pos, scratch, &end)) {
    pos = end;
  }
  return pos;
}

void AddedTokenMatcher::split(std::string_view text,
                              RegexScratch& scratch,
                              std::vector<AddedSegment>& out) const {
  size_t text_begin = 0;  // start of the text not yet emitted
  Match match;
  for (size_t pos = 0; !entries_.empty() && find_from(text, pos, &match); pos = match.end) {
    const Entry& entry = *match.entry;
    if (entry.single_word && !is_single_word(text, match, scratch)) {
      continue;
    }
    size_t begin = match.begin;
    size_t end = match.end;
    if (entry.lstrip) {
      begin = std::max(whitespace_before(text, begin, scratch), text_begin);
    }
    if (entry.rstrip) {
      end = whitespace_after(text, end, scratch);
    }
    // A previous rstrip may already have eaten into this match; never emit text twice.
    begin = std::max(begin, text_begin);
    if (text_begin < begin) {
      out.push_back({text_begin, begin, -1});
    }
    out.push_back({begin, end, entry.id});
    text_begin = end;
  }
  if (text_begin < text.size()) {
    out.push_back({text_begin, text.size(), -1});
  }
}

}  // namespace hkv::model::internal
