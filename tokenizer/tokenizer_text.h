// Text helpers shared by the tokenizer files: UTF-8 walking, Rust-compatible lossy decoding (what
// HF `tokenizers` does to invalid bytes), the GPT-2 byte-to-unicode alphabet and transformers'
// clean_up_tokenization. Internal to tokenizer/; not part of the public tokenizer API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace hkv::model::internal {

inline constexpr std::string_view kMetaSpace = "\xE2\x96\x81";  // "▁" U+2581, SentencePiece's space

std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

// HF normalizer Sequence[Prepend("▁"), Replace(" ", "▁")]; Prepend leaves empty text alone.
std::string sentencepiece_normalize(std::string_view text);

// Length in bytes of the valid UTF-8 character starting at text[pos], or 0 when the bytes there
// are not a complete, valid sequence (overlong, surrogate, > U+10FFFF, truncated).
size_t utf8_char_length(std::string_view text, size_t pos);

// Decodes the valid character at text[pos] (see utf8_char_length); `length` receives its size.
char32_t utf8_decode(std::string_view text, size_t pos, size_t* length);

using hkv::utf8_append;  // common/utf8.h

bool utf8_is_valid(std::string_view text);

// Rust's String::from_utf8_lossy: each maximal invalid subsequence (the longest prefix of a
// sequence that could still have become valid, or else one byte) becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

// GPT-2 bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order.
char32_t byte_to_unicode(uint8_t byte);

// The byte a byte-level alphabet character stands for, or -1 when `c` is not in the alphabet.
int unicode_to_byte(char32_t c);

// Every byte of `bytes` as its byte-level alphabet character (UTF-8 encoded).
std::string byte_level_encode(std::string_view bytes);

// transformers' PreTrainedTokenizerBase.clean_up_tokenization: " ." -> "." and friends, applied
// in the same order as the chained str.replace calls.
std::string clean_up_tokenization(std::string text);

}  // namespace hkv::model::internal
