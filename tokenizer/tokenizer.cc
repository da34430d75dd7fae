// Tokenizer: HF `tokenizers`' encode pipeline (added tokens -> normalizer -> normalized added
// tokens -> pre-tokenizer -> BPE -> post-processor) and decode (skip specials -> decoder), for the
// two supported kinds. The pieces live in tokenizer_{added,bpe,regex,text,json}.cc.
#include "tokenizer/tokenizer.h"

#include <utility>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/tokenizer_json.h"
#include "tokenizer/tokenizer_text.h"

namespace hkv::model {
namespace {

using internal::kMetaSpace;
using internal::replace_all;

// HF ByteFallback decoder: a token of exactly 6 bytes "<0x" + 2 chars + ">" whose middle parses
// with Rust's u8::from_str_radix(_, 16) (which also takes a leading '+').
std::optional<uint8_t> byte_fallback_value(std::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') {
    return std::nullopt;
  }
  int value = 0;
  for (size_t i = (token[3] == '+' ? 4 : 3); i < 5; ++i) {
    char c = token[i];
    int digit = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
    if (digit < 0) {
      return std::nullopt;
    }
    value = value * 16 + digit;
  }
  return static_cast<uint8_t>(value);
}

// HF ByteLevel decoder for one token: its alphabet characters as bytes, or the token's own bytes
// when any character is outside the alphabet (added tokens such as "<|eot_id|>" stay readable).
std::string byte_level_token_bytes(std::string_view token) {
  std::string bytes;
  for (size_t pos = 0; pos < token.size();) {
    size_t n = 0;
    int byte = internal::unicode_to_byte(internal::utf8_decode(token, pos, &n));
    if (n == 0 || byte < 0) {
      return std::string(token);
    }
    bytes.push_back(static_cast<char>(byte));
    pos += n;
  }
  return bytes;
}

}  // namespace

void Tokenizer::Impl::encode_text(std::string_view text,
                                  internal::RegexScratch& scratch,
                                  std::vector<int32_t>& out) const {
  std::string normalized = normalize(text);
  if (normalized_matcher.empty()) {
    encode_model(normalized, scratch, out);
    return;
  }
  std::vector<internal::AddedSegment> segments;
  normalized_matcher.split(normalized, scratch, segments);
  for (const internal::AddedSegment& segment : segments) {
    if (segment.id >= 0) {
      out.push_back(segment.id);
    } else {
      encode_model(std::string_view(normalized).substr(segment.begin, segment.end - segment.begin),
                   scratch, out);
    }
  }
}

void Tokenizer::Impl::encode_model(std::string_view text,
                                   internal::RegexScratch& scratch,
                                   std::vector<int32_t>& out) const {
  if (sentencepiece()) {
    bpe->encode_word(text, out);  // no pre-tokenizer: the whole segment is one word
    return;
  }
  std::vector<internal::TextSpan> pieces{{0, text.size()}};
  std::vector<internal::TextSpan> next;
  for (const internal::Regex& regex : splits) {
    next.clear();
    for (const internal::TextSpan& piece : pieces) {
      regex.split_isolated(text.substr(piece.begin, piece.end - piece.begin), piece.begin, scratch,
                           next);
    }
    pieces.swap(next);
  }
  for (const internal::TextSpan& piece : pieces) {
    bpe->encode_word(internal::byte_level_encode(text.substr(piece.begin, piece.end - piece.begin)),
                     out);
  }
}

// HF decoder Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)].
std::string Tokenizer::Impl::decode_sentencepiece(const std::vector<int32_t>& ids) const {
  std::string text;
  std::string pending_bytes;
  auto flush_bytes = [&] {
    if (internal::utf8_is_valid(pending_bytes)) {
      text += pending_bytes;
    } else {
      for (size_t i = 0; i < pending_bytes.size(); ++i) {
        text += "\xEF\xBF\xBD";  // one U+FFFD per byte of an invalid run
      }
    }
    pending_bytes.clear();
  };
  for (int32_t id : ids) {
    std::string token = replace_all(spec.vocab[id], kMetaSpace, " ");
    if (auto byte = byte_fallback_value(token)) {
      pending_bytes.push_back(static_cast<char>(*byte));
      continue;
    }
    flush_bytes();
    text += token;
  }
  flush_bytes();
  if (!text.empty() && text[0] == ' ') {
    text.erase(0, 1);
  }
  return text;
}

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::from_hf_json(const std::string& tokenizer_json_path) {
  HKV_ASSIGN_OR_RETURN(TokenizerSpec spec, internal::parse_hf_tokenizer_json(tokenizer_json_path));
  Result<Tokenizer> tokenizer = from_spec(std::move(spec));
  if (!tokenizer.ok()) {
    return tokenizer.status().with_context("%s", tokenizer_json_path.c_str());
  }
  return tokenizer;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  Result<std::vector<int32_t>> ids = try_encode(text, add_special_tokens);
  HKV_CHECK(ids.ok()) << ids.status().to_string();
  return std::move(ids).value();
}

Result<std::vector<int32_t>> Tokenizer::try_encode(std::string_view text,
                                                   bool add_special_tokens) const {
  HKV_CHECK(impl_ != nullptr) << "encode on an empty (default-constructed or moved-from) Tokenizer";
  const TokenizerSpec& spec = impl_->spec;
  // HF takes Python str, always valid; invalid bytes are read as U+FFFD first, as a lossy
  // bytes.decode would. Everything downstream may then assume valid UTF-8.
  std::string sanitized;
  if (!internal::utf8_is_valid(text)) {
    sanitized = internal::utf8_lossy(text);
    text = sanitized;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_special_tokens && spec.add_bos) {
    ids.push_back(*spec.bos_id);
  }
  internal::RegexScratch scratch;
  std::vector<internal::AddedSegment> segments;
  impl_->raw_matcher.split(text, scratch, segments);
  for (const internal::AddedSegment& segment : segments) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else {
      impl_->encode_text(text.substr(segment.begin, segment.end - segment.begin), scratch, ids);
    }
  }
  if (add_special_tokens && spec.add_eos) {
    ids.push_back(*spec.eos_id);
  }
  if (!scratch.error().empty()) {
    return errorf(StatusCode::kResourceExhausted, "tokenizer: %s", scratch.error().c_str());
  }
  return ids;
}

Result<std::string> Tokenizer::decode(const std::vector<int32_t>& ids,
                                      bool skip_special_tokens) const {
  HKV_CHECK(impl_ != nullptr) << "decode on an empty (default-constructed or moved-from) Tokenizer";
  std::vector<int32_t> kept;
  kept.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    int32_t id = ids[i];
    if (id < 0 || id >= vocab_size()) {
      return errorf(StatusCode::kOutOfRange, "token id %d at position %zu is out of range [0, %d)",
                    id, i, vocab_size());
    }
    // Holes in the id space have no token; HF's decode drops them silently too.
    if (impl_->spec.vocab[id].empty() || (skip_special_tokens && impl_->special[id])) {
      continue;
    }
    kept.push_back(id);
  }
  std::string text;
  if (impl_->sentencepiece()) {
    text = impl_->decode_sentencepiece(kept);
  } else {
    std::string bytes;
    for (int32_t id : kept) {
      bytes += byte_level_token_bytes(impl_->spec.vocab[id]);
    }
    text = internal::utf8_lossy(bytes);
  }
  if (impl_->spec.clean_up_tokenization_spaces) {
    text = internal::clean_up_tokenization(std::move(text));
  }
  return text;
}

std::string_view Tokenizer::token_string(int32_t id) const {
  if (impl_ == nullptr || id < 0 || id >= vocab_size()) {
    return {};
  }
  return impl_->spec.vocab[id];
}

std::string Tokenizer::token_bytes(int32_t id) const {
  std::string_view token = token_string(id);
  if (token.empty() || !impl_->sentencepiece()) {
    return byte_level_token_bytes(token);
  }
  if (auto byte = byte_fallback_value(token)) {
    return std::string(1, static_cast<char>(*byte));
  }
  return replace_all(token, kMetaSpace, " ");
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (impl_ == nullptr) {
    return std::nullopt;
  }
  if (auto it = impl_->added_ids.find(token); it != impl_->added_ids.end()) {
    return it->second;
  }
  return impl_->bpe->token_to_id(token);
}

int32_t Tokenizer::vocab_size() const {
  return impl_ == nullptr ? 0 : static_cast<int32_t>(impl_->spec.vocab.size());
}

const TokenizerSpec& Tokenizer::spec() const {
  static const TokenizerSpec kEmpty;
  return impl_ == nullptr ? kEmpty : impl_->spec;
}

bool Tokenizer::is_special(int32_t id) const {
  return impl_ != nullptr && id >= 0 && id < vocab_size() && impl_->special[id];
}

}  // namespace hkv::model
