// GGUF tokenizer metadata -> TokenizerSpec. Token types follow llama.cpp: 1 normal, 2 unknown,
// 3 control (special added token), 4 user-defined (added, not special), 5 unused, 6 byte.
#include "tokenizer/gguf_tokenizer.h"

#include <string>

#include "formats/gguf.h"

namespace hkv::model {
namespace {

constexpr int kTokenControl = 3;
constexpr int kTokenUserDefined = 4;

// The Llama-3 pre-tokenizer split (tiktoken cl100k style), as in Llama-3's tokenizer.json.
constexpr const char* kLlama3Split =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

Status set_pre_tokenizer(const GgufFile& gguf, TokenizerSpec* spec) {
  std::string pre = "default";
  if (gguf.find("tokenizer.ggml.pre") != nullptr) {
    HKV_ASSIGN_OR_RETURN(pre, gguf.get_string("tokenizer.ggml.pre"));
  }
  if (pre == "default" || pre == "gpt2") {
    return Status();  // empty split_regex: the GPT-2 pattern
  }
  if (pre == "smollm") {
    // HF Sequence[Digits(individual_digits=true), ByteLevel(use_regex=true)].
    spec->pre_split_regexes = {"\\p{N}"};
    return Status();
  }
  if (pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3") {
    spec->split_regex = kLlama3Split;
    spec->ignore_merges = true;
    return Status();
  }
  return errorf(StatusCode::kUnimplemented,
                "GGUF '%s': tokenizer pre-tokenizer '%s' is not supported (default, gpt2, smollm, "
                "llama-bpe)",
                gguf.path().c_str(), pre.c_str());
}

Result<std::optional<int32_t>> optional_id(const GgufFile& gguf, const char* key, size_t vocab) {
  if (gguf.find(key) == nullptr) {
    return std::optional<int32_t>();
  }
  HKV_ASSIGN_OR_RETURN(int64_t id, gguf.get_int(key));
  if (id < 0 || static_cast<size_t>(id) >= vocab) {
    return errorf(StatusCode::kInvalidArgument, "GGUF '%s': %s = %lld is outside the vocab (%zu)",
                  gguf.path().c_str(), key, static_cast<long long>(id), vocab);
  }
  return std::optional<int32_t>(static_cast<int32_t>(id));
}

}  // namespace

Result<TokenizerSpec> tokenizer_spec_from_gguf(const GgufFile& gguf) {
  HKV_ASSIGN_OR_RETURN(std::string model, gguf.get_string("tokenizer.ggml.model"));
  if (model != "gpt2") {
    return errorf(
        StatusCode::kUnimplemented,
        "GGUF '%s': tokenizer model '%s' is not supported from GGUF metadata (gpt2 only); "
        "load the Hugging Face tokenizer.json instead",
        gguf.path().c_str(), model.c_str());
  }
  TokenizerSpec spec;
  spec.kind = TokenizerKind::kByteLevelBpe;
  HKV_ASSIGN_OR_RETURN(const std::vector<std::string>* tokens,
                       gguf.get_string_array("tokenizer.ggml.tokens"));
  HKV_ASSIGN_OR_RETURN(const std::vector<std::string>* merges,
                       gguf.get_string_array("tokenizer.ggml.merges"));
  spec.vocab = *tokens;
  spec.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string& m = (*merges)[i];
    size_t space = m.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == m.size()) {
      return errorf(StatusCode::kDataLoss,
                    "GGUF '%s': tokenizer.ggml.merges[%zu] = '%s' is not "
                    "'left right'",
                    gguf.path().c_str(), i, m.c_str());
    }
    spec.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  if (gguf.find("tokenizer.ggml.token_type") != nullptr) {
    HKV_ASSIGN_OR_RETURN(const std::vector<int64_t>* types,
                         gguf.get_int_array("tokenizer.ggml.token_type"));
    if (types->size() != tokens->size()) {
      return errorf(StatusCode::kDataLoss, "GGUF '%s': %zu token types for %zu tokens",
                    gguf.path().c_str(), types->size(), tokens->size());
    }
    for (size_t id = 0; id < types->size(); ++id) {
      int64_t t = (*types)[id];
      if (t == kTokenControl || t == kTokenUserDefined) {
        AddedToken added;
        added.id = static_cast<int32_t>(id);
        added.content = (*tokens)[id];
        added.special = t == kTokenControl;
        spec.added_tokens.push_back(std::move(added));
      }
    }
  }
  HKV_RETURN_IF_ERROR(set_pre_tokenizer(gguf, &spec));
  HKV_ASSIGN_OR_RETURN(spec.bos_id,
                       optional_id(gguf, "tokenizer.ggml.bos_token_id", tokens->size()));
  HKV_ASSIGN_OR_RETURN(spec.eos_id,
                       optional_id(gguf, "tokenizer.ggml.eos_token_id", tokens->size()));
  HKV_ASSIGN_OR_RETURN(spec.unk_id,
                       optional_id(gguf, "tokenizer.ggml.unknown_token_id", tokens->size()));
  if (gguf.find("tokenizer.ggml.add_bos_token") != nullptr) {
    HKV_ASSIGN_OR_RETURN(spec.add_bos, gguf.get_bool("tokenizer.ggml.add_bos_token"));
  }
  if (gguf.find("tokenizer.ggml.add_eos_token") != nullptr) {
    HKV_ASSIGN_OR_RETURN(spec.add_eos, gguf.get_bool("tokenizer.ggml.add_eos_token"));
  }
  if (gguf.find("tokenizer.chat_template") != nullptr) {
    HKV_ASSIGN_OR_RETURN(spec.chat_template, gguf.get_string("tokenizer.chat_template"));
  }
  return spec;
}

Result<Tokenizer> tokenizer_from_gguf(const GgufFile& gguf) {
  HKV_ASSIGN_OR_RETURN(TokenizerSpec spec, tokenizer_spec_from_gguf(gguf));
  Result<Tokenizer> tokenizer = Tokenizer::from_spec(std::move(spec));
  if (!tokenizer.ok()) {
    return tokenizer.status().with_context("GGUF '%s'", gguf.path().c_str());
  }
  return tokenizer;
}

}  // namespace hkv::model
