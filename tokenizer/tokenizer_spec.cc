// Tokenizer::from_spec: validates a TokenizerSpec (ids in range, added tokens agree with the
// vocab, merges name vocab tokens, regexes compile) and builds the matchers and the BPE model.
// Every check runs before anything is built, so a bad spec never yields a half-made Tokenizer.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"

namespace hkv::model {
namespace {

Status check_optional_id(const char* name, const std::optional<int32_t>& id, size_t vocab_size) {
  if (id && (*id < 0 || static_cast<size_t>(*id) >= vocab_size)) {
    return errorf(StatusCode::kOutOfRange, "%s %d is out of range [0, %zu)", name, *id, vocab_size);
  }
  return Status::ok_status();
}

Status validate_ids(const TokenizerSpec& spec) {
  if (spec.vocab.empty()) {
    return errorf(StatusCode::kInvalidArgument, "tokenizer vocab is empty");
  }
  if (spec.vocab.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return errorf(StatusCode::kOutOfRange, "tokenizer vocab has %zu entries, more than int32",
                  spec.vocab.size());
  }
  HKV_RETURN_IF_ERROR(check_optional_id("bos_id", spec.bos_id, spec.vocab.size()));
  HKV_RETURN_IF_ERROR(check_optional_id("eos_id", spec.eos_id, spec.vocab.size()));
  HKV_RETURN_IF_ERROR(check_optional_id("unk_id", spec.unk_id, spec.vocab.size()));
  if (spec.add_bos && !spec.bos_id) {
    return errorf(StatusCode::kInvalidArgument, "add_bos is set but there is no bos_id");
  }
  if (spec.add_eos && !spec.eos_id) {
    return errorf(StatusCode::kInvalidArgument, "add_eos is set but there is no eos_id");
  }
  for (size_t i = 0; i < spec.added_tokens.size(); ++i) {
    const AddedToken& token = spec.added_tokens[i];
    if (token.id < 0 || static_cast<size_t>(token.id) >= spec.vocab.size()) {
      return errorf(StatusCode::kOutOfRange,
                    "added token #%zu '%s' has id %d, out of range [0, %zu)", i,
                    token.content.c_str(), token.id, spec.vocab.size());
    }
    if (token.content.empty()) {
      return errorf(StatusCode::kInvalidArgument, "added token #%zu (id %d) is empty", i, token.id);
    }
    const std::string& listed = spec.vocab[token.id];
    if (!listed.empty() && listed != token.content) {
      return errorf(StatusCode::kInvalidArgument,
                    "added token #%zu '%s' has id %d, but vocab[%d] is '%s'", i,
                    token.content.c_str(), token.id, token.id, listed.c_str());
    }
  }
  return Status::ok_status();
}

Status build_splits(const TokenizerSpec& spec, std::vector<internal::Regex>& splits) {
  if (spec.kind != TokenizerKind::kByteLevelBpe) {
    return Status::ok_status();
  }
  for (const std::string& pattern : spec.pre_split_regexes) {
    HKV_ASSIGN_OR_RETURN(internal::Regex regex, internal::Regex::compile(pattern));
    splits.push_back(std::move(regex));
  }
  std::string_view pattern =
      spec.split_regex.empty() ? internal::kGpt2SplitPattern : std::string_view(spec.split_regex);
  HKV_ASSIGN_OR_RETURN(internal::Regex regex, internal::Regex::compile(pattern));
  splits.push_back(std::move(regex));
  return Status::ok_status();
}

// Two matchers, as HF's AddedVocabulary: non-normalized tokens on the raw input, normalized ones
// (by their normalized spelling) on each normalized piece.
struct AddedTables {
  internal::AddedTokenMatcher raw_matcher;
  internal::AddedTokenMatcher normalized_matcher;
  internal::TokenIdMap ids;
  std::vector<bool> special;
};

Result<AddedTables> build_added(const TokenizerSpec& spec) {
  AddedTables tables;
  std::vector<AddedToken> raw;
  std::vector<std::string> raw_patterns;
  std::vector<AddedToken> normalized;
  std::vector<std::string> normalized_patterns;
  tables.special.assign(spec.vocab.size(), false);
  for (const AddedToken& token : spec.added_tokens) {
    tables.ids.insert_or_assign(token.content, token.id);
    tables.special[token.id] = tables.special[token.id] || token.special;
    if (token.normalized) {
      normalized.push_back(token);
      normalized_patterns.push_back(spec.kind == TokenizerKind::kSentencePieceBpe
                                        ? internal::sentencepiece_normalize(token.content)
                                        : token.content);
    } else {
      raw.push_back(token);
      raw_patterns.push_back(token.content);
    }
  }
  HKV_ASSIGN_OR_RETURN(tables.raw_matcher, internal::AddedTokenMatcher::create(raw, raw_patterns));
  HKV_ASSIGN_OR_RETURN(tables.normalized_matcher,
                       internal::AddedTokenMatcher::create(normalized, normalized_patterns));
  return tables;
}

}  // namespace

Result<Tokenizer> Tokenizer::from_spec(TokenizerSpec spec) {
  HKV_RETURN_IF_ERROR(validate_ids(spec));
  // An added token on a hole of the id space (tokenizer.json lists it only in added_tokens)
  // takes that id's place in the vocab, so decode and token_string see it.
  for (const AddedToken& token : spec.added_tokens) {
    spec.vocab[token.id] = token.content;
  }
  auto impl = std::make_unique<Impl>();
  internal::BpeOptions options;
  options.ignore_merges = spec.ignore_merges;
  options.byte_fallback = spec.byte_fallback;
  options.fuse_unk = spec.kind == TokenizerKind::kSentencePieceBpe;
  // Byte-level: HF's byte-level BPE has no unk token (see TokenizerSpec::unk_id).
  if (spec.kind == TokenizerKind::kSentencePieceBpe) {
    options.unk_id = spec.unk_id;
  }
  HKV_ASSIGN_OR_RETURN(impl->bpe, internal::BpeModel::create(spec.vocab, spec.merges, options));
  HKV_RETURN_IF_ERROR(build_splits(spec, impl->splits));
  HKV_ASSIGN_OR_RETURN(AddedTables added, build_added(spec));
  impl->raw_matcher = std::move(added.raw_matcher);
  impl->normalized_matcher = std::move(added.normalized_matcher);
  impl->added_ids = std::move(added.ids);
  impl->special = std::move(added.special);
  impl->spec = std::move(spec);
  Tokenizer tokenizer;
  tokenizer.impl_ = std::move(impl);
  return tokenizer;
}

}  // namespace hkv::model
