// Tokenizer::Impl, shared by tokenizer.cc (encode/decode) and tokenizer_spec.cc (validation and
// construction from a TokenizerSpec). Internal to tokenizer/.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_added.h"
#include "tokenizer/tokenizer_bpe.h"
#include "tokenizer/tokenizer_regex.h"
#include "tokenizer/tokenizer_text.h"

namespace hkv::model {

struct Tokenizer::Impl {
  TokenizerSpec spec;
  std::unique_ptr<internal::BpeModel> bpe;
  std::vector<internal::Regex> splits;      // byte-level: pre_split_regexes, then split_regex
  internal::AddedTokenMatcher raw_matcher;  // normalized=false tokens, on the input
  internal::AddedTokenMatcher normalized_matcher;  // normalized=true tokens, on normalized text
  internal::TokenIdMap added_ids;
  std::vector<bool> special;  // by id

  bool sentencepiece() const { return spec.kind == TokenizerKind::kSentencePieceBpe; }

  std::string normalize(std::string_view text) const {
    return sentencepiece() ? internal::sentencepiece_normalize(text) : std::string(text);
  }

  void encode_text(std::string_view text,
                   internal::RegexScratch& scratch,
                   std::vector<int32_t>& out) const;
  void encode_model(std::string_view text,
                    internal::RegexScratch& scratch,
                    std::vector<int32_t>& out) const;
  std::string decode_sentencepiece(const std::vector<int32_t>& ids) const;
};

}  // namespace hkv::model
