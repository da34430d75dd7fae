// Tokenizers that give the same ids as Hugging Face `tokenizers`: byte-level BPE with a split regex
// (Llama-3, GPT-2/SmolLM2), SentencePiece-style BPE with byte fallback (Llama-2, Mistral), from a
// tokenizer.json or from GGUF metadata (via TokenizerSpec). Added/special tokens are matched in
// the input text as HF does; decode supports skip_special_tokens and
// clean_up_tokenization_spaces.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hkv::model {

enum class TokenizerKind {
  kByteLevelBpe,     // GPT-2 byte-to-unicode alphabet, regex pre-split (Llama-3, SmolLM2)
  kSentencePieceBpe  // "▁" spaces, Prepend/Replace normalizer, <0xNN> fallback (Mistral)
};

// An added token (HF "added_tokens"): matched verbatim in the input before the model runs.
struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;  // removed by decode(skip_special_tokens=true)
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

// Everything a tokenizer needs, independent of the file it came from. Built from tokenizer.json
// (from_hf_json) or by the GGUF loader from tokenizer.ggml.* metadata.
struct TokenizerSpec {
  TokenizerKind kind = TokenizerKind::kByteLevelBpe;
  std::vector<std::string> vocab;                           // id -> token string (as in the file)
  std::vector<std::pair<std::string, std::string>> merges;  // rank order
  std::vector<AddedToken> added_tokens;
  // Byte-level: the pre-tokenizer split regex (PCRE syntax, matched with Unicode properties).
  // Empty means the GPT-2 default pattern.
  std::string split_regex;
  // Byte-level: regexes applied before split_regex, each cutting every piece further with HF
  // Split(Isolated) semantics (matches and the gaps between them are pieces). SmolLM2 (GGUF pre
  // "smollm", HF Digits(individual_digits)) needs {"\\p{N}"}; llama.cpp lists these as the
  // leading entries of its regex_exprs. A single regex cannot express this: the split changes
  // what `\s+(?!\S)` sees at a digit.
  std::vector<std::string> pre_split_regexes;
  bool byte_fallback = false;  // SentencePiece: unknown bytes become <0xNN>
  bool ignore_merges = false;  // Llama-3 style: a whole pre-token in the vocab wins over merges
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  // SentencePiece: unknown characters without byte fallback become this id (runs fused).
  // Byte-level: informational only; HF byte-level vocabularies have unk_token null, so a byte
  // missing from the vocab is dropped (SmolLM2's GGUF names unknown_token_id 0, yet HF drops
  // "\x04").
  std::optional<int32_t> unk_id;
  bool add_bos = false;  // encode(add_special_tokens=true) prepends BOS
  bool add_eos = false;
  // decode applies transformers' clean_up_tokenization when set. transformers 5 ignores the
  // tokenizer_config flag for BPE models (unless forced), so from_hf_json leaves this false for
  // both supported kinds even where the config says true (Llama-3).
  bool clean_up_tokenization_spaces = false;
  std::string chat_template;  // Jinja source from tokenizer_config.json / GGUF, may be empty
};

class Tokenizer {
 public:
  // Reads tokenizer.json (and tokenizer_config.json beside it when present, for add_bos/eos,
  // clean_up_tokenization_spaces and chat_template). Errors name the file and the JSON path.
  static Result<Tokenizer> from_hf_json(const std::string& tokenizer_json_path);
  // Validates the spec (ids in range, merges refer to vocab entries, ...).
  static Result<Tokenizer> from_spec(TokenizerSpec spec);

  Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Same ids as HF `tokenizers` Tokenizer.encode(text, add_special_tokens).ids, which is also
  // transformers' `tokenizer(text)["input_ids"]` except where transformers 5 rebuilds the
  // pipeline (its LlamaTokenizer swaps the Mistral file's normalizer for Metaspace; see
  // tools/reference/make_tokenizer_goldens.py). Invalid UTF-8 is read as U+FFFD first, as HF
  // only takes valid text. Thread-safe.
  // Aborts (HKV_CHECK) where try_encode fails: use try_encode on untrusted text.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const;
  // encode, or ResourceExhausted when a pre-tokenizer regex hit a PCRE2 limit on this text (a
  // pathological pattern or input): the ids would not be the reference's, so none are returned.
  Result<std::vector<int32_t>> try_encode(std::string_view text, bool add_special_tokens) const;
  // Same text as HF `tokenizer.decode(ids, skip_special_tokens=..., clean_up_tokenization_spaces
  // = spec default)`. Ids out of range are an error.
  Result<std::string> decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;
  // The token string of one id as stored in the vocab (for `headkv tokenize` pieces).
  std::string_view token_string(int32_t id) const;
  // The raw bytes one id stands for (byte-level decoded / ▁ -> space / <0xNN> -> byte).
  std::string token_bytes(int32_t id) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;

  int32_t vocab_size() const;  // including added tokens
  const TokenizerSpec& spec() const;
  bool is_special(int32_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hkv::model
