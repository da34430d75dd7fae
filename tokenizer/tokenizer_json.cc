// tokenizer.json -> TokenizerSpec: the BPE model (vocab, merges, options), the added tokens and
// tokenizer_config.json; the pipeline sections (normalizer, pre-tokenizer, decoder,
// post-processor) are read in tokenizer_json_pipeline.cc. Ids are bounded by the number of
// entries before anything is allocated, so a corrupt id is an error, not a huge allocation.
#include "tokenizer/tokenizer_json.h"

#include <filesystem>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/mapped_file.h"
#include "tokenizer/tokenizer_json_pipeline.h"

namespace hkv::model::internal {
namespace {

Status expect_object(const JsonRef& ref) {
  if (ref.is_object()) {
    return Status::ok_status();
  }
  return errorf(StatusCode::kInvalidArgument, "%s: expected object, got %s", ref.path().c_str(),
                json_type_name(ref.raw()));
}

Status expect_array(const JsonRef& ref) {
  if (ref.is_array()) {
    return Status::ok_status();
  }
  return errorf(StatusCode::kInvalidArgument, "%s: expected array, got %s", ref.path().c_str(),
                json_type_name(ref.raw()));
}

// Ids seen so far: id -> token string, with `used` telling holes from real (even empty) tokens.
struct IdTable {
  std::vector<std::string> tokens;
  std::vector<bool> used;
};

Status parse_vocab(const JsonRef& model, IdTable& table) {
  HKV_ASSIGN_OR_RETURN(JsonRef vocab, model.at("vocab"));
  HKV_RETURN_IF_ERROR(expect_object(vocab));
  const size_t limit = table.tokens.size();
  for (auto it = vocab.raw().begin(); it != vocab.raw().end(); ++it) {
    JsonRef entry(*it, vocab.path() + "." + it.key());
    HKV_ASSIGN_OR_RETURN(int64_t id, entry.as<int64_t>());
    if (id < 0 || static_cast<uint64_t>(id) >= limit) {
      return errorf(StatusCode::kOutOfRange,
                    "%s: id %lld is out of range [0, %zu) (vocab entries + added tokens)",
                    entry.path().c_str(), static_cast<long long>(id), limit);
    }
    if (table.used[id]) {
      return errorf(StatusCode::kInvalidArgument, "%s: id %lld is already used by token '%s'",
                    entry.path().c_str(), static_cast<long long>(id), table.tokens[id].c_str());
    }
    table.tokens[id] = it.key();
    table.used[id] = true;
  }
  return Status::ok_status();
}

Result<std::pair<std::string, std::string>> parse_merge(const JsonRef& merge) {
  if (merge.raw().is_string()) {
    // Legacy form "left right". Tokens never contain a space here: byte-level spells it "Ġ" and
    // SentencePiece "▁".
    const auto& text = merge.raw().get_ref<const std::string&>();
    size_t space = text.find(' ');
    if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
      return errorf(StatusCode::kInvalidArgument, "%s: merge '%s' is not 'left right'",
                    merge.path().c_str(), text.c_str());
    }
    return std::make_pair(text.substr(0, space), text.substr(space + 1));
  }
  HKV_ASSIGN_OR_RETURN(std::vector<std::string> parts, merge.as_vector<std::string>());
  if (parts.size() != 2) {
    return errorf(StatusCode::kInvalidArgument, "%s: merge has %zu parts, expected 2",
                  merge.path().c_str(), parts.size());
  }
  return std::make_pair(std::move(parts[0]), std::move(parts[1]));
}

Status parse_merges(const JsonRef& model, TokenizerSpec& spec) {
  HKV_ASSIGN_OR_RETURN(JsonRef merges, model.at("merges"));
  HKV_RETURN_IF_ERROR(expect_array(merges));
  spec.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef merge, merges.at(i));
    HKV_ASSIGN_OR_RETURN(auto pair, parse_merge(merge));
    spec.merges.push_back(std::move(pair));
  }
  return Status::ok_status();
}

Result<AddedToken> parse_added_token(const JsonRef& ref) {
  AddedToken token;
  HKV_ASSIGN_OR_RETURN(token.id, ref.get<int32_t>("id"));
  HKV_ASSIGN_OR_RETURN(token.content, ref.get<std::string>("content"));
  HKV_ASSIGN_OR_RETURN(token.special, ref.get_or<bool>("special", false));
  HKV_ASSIGN_OR_RETURN(token.lstrip, ref.get_or<bool>("lstrip", false));
  HKV_ASSIGN_OR_RETURN(token.rstrip, ref.get_or<bool>("rstrip", false));
  HKV_ASSIGN_OR_RETURN(token.single_word, ref.get_or<bool>("single_word", false));
  // HF's AddedToken default: special tokens are matched on the raw text.
  HKV_ASSIGN_OR_RETURN(token.normalized, ref.get_or<bool>("normalized", !token.special));
  return token;
}

// Adds the added tokens to the id table. An id already holding another string, or one content
// under two ids, is a clash: HF would silently renumber, which breaks the model's embeddings.
Status parse_added_tokens(const JsonRef& root, IdTable& table, TokenizerSpec& spec) {
  if (!root.has("added_tokens")) {
    return Status::ok_status();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef list, root.at("added_tokens"));
  HKV_RETURN_IF_ERROR(expect_array(list));
  std::unordered_map<std::string, int32_t> vocab_ids;
  for (size_t id = 0; id < table.tokens.size(); ++id) {
    if (table.used[id]) {
      vocab_ids.emplace(table.tokens[id], static_cast<int32_t>(id));
    }
  }
  for (size_t i = 0; i < list.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef ref, list.at(i));
    HKV_ASSIGN_OR_RETURN(AddedToken token, parse_added_token(ref));
    if (token.id < 0 || static_cast<size_t>(token.id) >= table.tokens.size()) {
      return errorf(StatusCode::kOutOfRange, "%s.id: %d is out of range [0, %zu)",
                    ref.path().c_str(), token.id, table.tokens.size());
    }
    if (table.used[token.id] && table.tokens[token.id] != token.content) {
      return errorf(StatusCode::kInvalidArgument,
                    "%s: added token '%s' has id %d, which is already token '%s'",
                    ref.path().c_str(), token.content.c_str(), token.id,
                    table.tokens[token.id].c_str());
    }
    auto [it, inserted] = vocab_ids.emplace(token.content, token.id);
    if (!inserted && it->second != token.id) {
      return errorf(StatusCode::kInvalidArgument,
                    "%s: added token '%s' has id %d but is already id %d", ref.path().c_str(),
                    token.content.c_str(), token.id, it->second);
    }
    table.tokens[token.id] = token.content;
    table.used[token.id] = true;
    spec.added_tokens.push_back(std::move(token));
  }
  return Status::ok_status();
}

Status parse_bpe_options(const JsonRef& model,
                         IdTable& table,
                         TokenizerSpec& spec,
                         bool* fuse_unk) {
  HKV_ASSIGN_OR_RETURN(spec.byte_fallback, model.get_or<bool>("byte_fallback", false));
  HKV_ASSIGN_OR_RETURN(spec.ignore_merges, model.get_or<bool>("ignore_merges", false));
  HKV_ASSIGN_OR_RETURN(*fuse_unk, model.get_or<bool>("fuse_unk", false));
  HKV_ASSIGN_OR_RETURN(double dropout, model.get_or<double>("dropout", 0.0));
  if (dropout != 0.0) {
    return errorf(StatusCode::kUnimplemented, "%s.dropout: BPE dropout is not supported",
                  model.path().c_str());
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    HKV_ASSIGN_OR_RETURN(std::string affix, model.get_or<std::string>(key, ""));
    if (!affix.empty()) {
      return errorf(StatusCode::kUnimplemented, "%s.%s: '%s' is not supported",
                    model.path().c_str(), key, affix.c_str());
    }
  }
  if (model.has("unk_token")) {
    HKV_ASSIGN_OR_RETURN(std::string unk, model.get<std::string>("unk_token"));
    for (size_t id = 0; id < table.tokens.size() && !spec.unk_id; ++id) {
      if (table.used[id] && table.tokens[id] == unk) {
        spec.unk_id = static_cast<int32_t>(id);
      }
    }
    if (!spec.unk_id) {
      return errorf(StatusCode::kInvalidArgument, "%s.unk_token: '%s' is not in the vocab",
                    model.path().c_str(), unk.c_str());
    }
  }
  return Status::ok_status();
}

Status parse_model(const JsonRef& root, TokenizerSpec& spec, bool* fuse_unk) {
  HKV_ASSIGN_OR_RETURN(JsonRef model, root.at("model"));
  HKV_ASSIGN_OR_RETURN(std::string type, model.get_or<std::string>("type", "BPE"));
  if (type != "BPE") {
    return errorf(StatusCode::kUnimplemented, "%s.type: model type '%s' is not supported (BPE)",
                  model.path().c_str(), type.c_str());
  }
  HKV_ASSIGN_OR_RETURN(JsonRef vocab, model.at("vocab"));
  size_t added_count = 0;
  if (root.has("added_tokens")) {
    HKV_ASSIGN_OR_RETURN(JsonRef added, root.at("added_tokens"));
    added_count = added.size();
  }
  IdTable table;
  table.tokens.resize(vocab.size() + added_count);
  table.used.resize(table.tokens.size(), false);
  HKV_RETURN_IF_ERROR(parse_vocab(model, table));
  HKV_RETURN_IF_ERROR(parse_added_tokens(root, table, spec));
  HKV_RETURN_IF_ERROR(parse_merges(model, spec));
  // Trim unused ids at the end: the vocab size is the highest id + 1.
  size_t size = table.tokens.size();
  while (size > 0 && !table.used[size - 1]) {
    --size;
  }
  table.tokens.resize(size);
  table.used.resize(size);
  HKV_RETURN_IF_ERROR(parse_bpe_options(model, table, spec, fuse_unk));
  spec.vocab = std::move(table.tokens);
  return Status::ok_status();
}

// The id of a config token entry ("<s>" or {"content": "<s>", ...}); nullopt when absent or not
// in the vocab (transformers would add it as a new token; headkv's files never need that).
Result<std::optional<int32_t>> config_token_id(const JsonRef& config,
                                               const char* key,
                                               const TokenizerSpec& spec) {
  if (!config.has(key)) {
    return std::optional<int32_t>();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef entry, config.at(key));
  std::string content;
  if (entry.is_object()) {
    HKV_ASSIGN_OR_RETURN(content, entry.get<std::string>("content"));
  } else {
    HKV_ASSIGN_OR_RETURN(content, entry.as<std::string>());
  }
  for (const AddedToken& token : spec.added_tokens) {
    if (token.content == content) {
      return std::optional<int32_t>(token.id);
    }
  }
  for (size_t id = 0; id < spec.vocab.size(); ++id) {
    if (spec.vocab[id] == content) {
      return std::optional<int32_t>(static_cast<int32_t>(id));
    }
  }
  return std::optional<int32_t>();
}

// chat_template is a string, or a list of {"name", "template"} where "default" is the one used.
Result<std::string> config_chat_template(const JsonRef& config) {
  if (!config.has("chat_template")) {
    return std::string();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef entry, config.at("chat_template"));
  if (!entry.is_array()) {
    return entry.as<std::string>();
  }
  std::string chosen;
  for (size_t i = 0; i < entry.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef item, entry.at(i));
    HKV_ASSIGN_OR_RETURN(std::string name, item.get<std::string>("name"));
    HKV_ASSIGN_OR_RETURN(std::string source, item.get<std::string>("template"));
    if (i == 0 || name == "default") {
      chosen = std::move(source);
    }
  }
  return chosen;
}

}  // namespace

Status apply_tokenizer_config(const Json& document, TokenizerSpec& spec) {
  JsonRef config(document, "$");
  HKV_RETURN_IF_ERROR(expect_object(config));
  HKV_ASSIGN_OR_RETURN(std::optional<int32_t> bos, config_token_id(config, "bos_token", spec));
  HKV_ASSIGN_OR_RETURN(std::optional<int32_t> eos, config_token_id(config, "eos_token", spec));
  // transformers 5 (TokenizersBackend): an explicit add_bos_token/add_eos_token rebuilds the
  // post-processor as [bos] $A [eos] from these flags (a missing one counts as false);
  // otherwise tokenizer.json's post_processor stands and keeps the ids its template adds.
  if (config.has("add_bos_token") || config.has("add_eos_token")) {
    HKV_ASSIGN_OR_RETURN(bool add_bos, config.get_or<bool>("add_bos_token", false));
    HKV_ASSIGN_OR_RETURN(bool add_eos, config.get_or<bool>("add_eos_token", false));
    spec.add_bos = add_bos && bos.has_value();
    spec.add_eos = add_eos && eos.has_value();
    spec.bos_id = bos ? bos : spec.bos_id;
    spec.eos_id = eos ? eos : spec.eos_id;
  } else {
    spec.bos_id = spec.add_bos ? spec.bos_id : (bos ? bos : spec.bos_id);
    spec.eos_id = spec.add_eos ? spec.eos_id : (eos ? eos : spec.eos_id);
  }
  // transformers 5 skips clean-up for BPE models unless this long flag forces it.
  HKV_ASSIGN_OR_RETURN(bool clean_up, config.get_or<bool>("clean_up_tokenization_spaces", false));
  HKV_ASSIGN_OR_RETURN(
      bool force,
      config.get_or<bool>("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output",
                          false));
  spec.clean_up_tokenization_spaces = clean_up && force;
  HKV_ASSIGN_OR_RETURN(spec.chat_template, config_chat_template(config));
  return Status::ok_status();
}

Result<TokenizerSpec> parse_hf_tokenizer_document(const Json& document) {
  JsonRef root(document, "$");
  HKV_RETURN_IF_ERROR(expect_object(root));
  TokenizerSpec spec;
  bool fuse_unk = false;
  HKV_RETURN_IF_ERROR(parse_model(root, spec, &fuse_unk));
  HKV_RETURN_IF_ERROR(parse_pipeline(root, spec));
  // TokenizerSpec has no fuse_unk: SentencePiece kinds always fuse unknowns (as the Llama-2 and
  // Mistral files say); byte-level ones never emit unk. Refuse a file that says otherwise.
  if (spec.kind == TokenizerKind::kSentencePieceBpe && spec.unk_id && !fuse_unk) {
    return errorf(StatusCode::kUnimplemented,
                  "$.model.fuse_unk: false is not supported for a SentencePiece-style tokenizer");
  }
  return spec;
}

Result<TokenizerSpec> parse_hf_tokenizer_json(const std::string& path) {
  auto with_path = [&](const Status& status) { return status.with_context("%s", path.c_str()); };
  Result<Json> document = read_json_file(path);
  if (!document.ok()) {
    return document.status();  // already names the file
  }
  Result<TokenizerSpec> spec = parse_hf_tokenizer_document(*document);
  if (!spec.ok()) {
    return with_path(spec.status());
  }
  std::string config_path =
      (std::filesystem::path(path).parent_path() / "tokenizer_config.json").string();
  std::error_code ec;
  if (std::filesystem::exists(config_path, ec)) {
    HKV_ASSIGN_OR_RETURN(Json config, read_json_file(config_path));
    Status status = apply_tokenizer_config(config, *spec);
    if (!status.ok()) {
      return status.with_context("%s", config_path.c_str());
    }
  }
  return spec;
}

}  // namespace hkv::model::internal
