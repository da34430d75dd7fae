// tokenizer.json pipeline sections and tokenizer_config.json. Each supported shape is checked
// field by field: a pipeline we do not reproduce exactly must fail loudly rather than encode
// almost like HF.
#include "tokenizer/tokenizer_json_pipeline.h"

#include <string>
#include <vector>

#include "tokenizer/tokenizer_json.h"
#include "tokenizer/tokenizer_regex.h"

namespace hkv::model::internal {
namespace {

constexpr const char* kMetaSpace = "\xE2\x96\x81";  // "▁" U+2581

Status unsupported(const JsonRef& ref, const std::string& what) {
  return errorf(StatusCode::kUnimplemented, "%s: %s is not supported", ref.path().c_str(),
                what.c_str());
}

Result<std::string> type_of(const JsonRef& ref) {
  return ref.get<std::string>("type");
}

// The items of a {"type": "Sequence", <list_key>: [...]} node, or the node itself.
Result<std::vector<JsonRef>> sequence_items(const JsonRef& ref, const char* list_key) {
  HKV_ASSIGN_OR_RETURN(std::string type, type_of(ref));
  if (type != "Sequence") {
    return std::vector<JsonRef>{ref};
  }
  HKV_ASSIGN_OR_RETURN(JsonRef list, ref.at(list_key));
  if (!list.is_array()) {
    return errorf(StatusCode::kInvalidArgument, "%s: expected array, got %s", list.path().c_str(),
                  json_type_name(list.raw()));
  }
  std::vector<JsonRef> items;
  for (size_t i = 0; i < list.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef item, list.at(i));
    items.push_back(item);
  }
  return items;
}

// Escapes a literal for use inside a PCRE2 pattern (Split with {"String": ...}).
std::string quote_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

// A {"String": s} pattern node's string; anything else is not a literal.
Result<std::string> literal_pattern(const JsonRef& node) {
  HKV_ASSIGN_OR_RETURN(JsonRef pattern, node.at("pattern"));
  if (!pattern.has("String")) {
    return unsupported(pattern, "a non-literal pattern");
  }
  return pattern.get<std::string>("String");
}

Result<bool> is_sentencepiece_normalizer(const JsonRef& root) {
  if (!root.has("normalizer")) {
    return false;
  }
  HKV_ASSIGN_OR_RETURN(JsonRef normalizer, root.at("normalizer"));
  const std::string expected = "normalizer Sequence[Prepend('▁'), Replace(' ', '▁')]";
  HKV_ASSIGN_OR_RETURN(std::vector<JsonRef> items, sequence_items(normalizer, "normalizers"));
  if (items.size() != 2) {
    return unsupported(normalizer, "anything but the " + expected);
  }
  HKV_ASSIGN_OR_RETURN(std::string first, type_of(items[0]));
  HKV_ASSIGN_OR_RETURN(std::string second, type_of(items[1]));
  if (first != "Prepend" || second != "Replace") {
    return unsupported(normalizer, "anything but the " + expected);
  }
  HKV_ASSIGN_OR_RETURN(std::string prepend, items[0].get<std::string>("prepend"));
  HKV_ASSIGN_OR_RETURN(std::string from, literal_pattern(items[1]));
  HKV_ASSIGN_OR_RETURN(std::string to, items[1].get<std::string>("content"));
  if (prepend != kMetaSpace || from != " " || to != kMetaSpace) {
    return unsupported(normalizer, "anything but the " + expected);
  }
  return true;
}

// One pre-tokenizer step as a split regex, or "" for the final ByteLevel without its own regex.
Result<std::string> pre_tokenizer_regex(const JsonRef& item, bool last, bool* byte_level) {
  HKV_ASSIGN_OR_RETURN(std::string type, type_of(item));
  if (type == "Split") {
    HKV_ASSIGN_OR_RETURN(std::string behavior, item.get<std::string>("behavior"));
    HKV_ASSIGN_OR_RETURN(bool invert, item.get_or<bool>("invert", false));
    if (behavior != "Isolated" || invert) {
      return unsupported(
          item, "Split behavior '" + behavior + "' (invert " + (invert ? "true" : "false") + ")");
    }
    HKV_ASSIGN_OR_RETURN(JsonRef pattern, item.at("pattern"));
    if (pattern.has("Regex")) {
      return pattern.get<std::string>("Regex");
    }
    HKV_ASSIGN_OR_RETURN(std::string literal, pattern.get<std::string>("String"));
    return quote_literal(literal);
  }
  if (type == "Digits") {
    HKV_ASSIGN_OR_RETURN(bool individual, item.get_or<bool>("individual_digits", false));
    // HF Digits tests char::is_numeric, i.e. general category N.
    return std::string(individual ? "\\p{N}" : "\\p{N}+");
  }
  if (type == "ByteLevel") {
    HKV_ASSIGN_OR_RETURN(bool prefix_space, item.get_or<bool>("add_prefix_space", true));
    HKV_ASSIGN_OR_RETURN(bool use_regex, item.get_or<bool>("use_regex", true));
    if (!last || prefix_space) {
      return unsupported(item, "ByteLevel that is not last or adds a prefix space");
    }
    *byte_level = true;
    return use_regex ? std::string(kGpt2SplitPattern) : std::string();
  }
  return unsupported(item, "pre_tokenizer type '" + type + "'");
}

Status parse_pre_tokenizer(const JsonRef& root, TokenizerSpec& spec, bool* byte_level) {
  *byte_level = false;
  if (!root.has("pre_tokenizer")) {
    return Status::ok_status();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef pre, root.at("pre_tokenizer"));
  HKV_ASSIGN_OR_RETURN(std::vector<JsonRef> items, sequence_items(pre, "pretokenizers"));
  std::vector<std::string> regexes;
  for (size_t i = 0; i < items.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(std::string regex,
                         pre_tokenizer_regex(items[i], i + 1 == items.size(), byte_level));
    if (!regex.empty()) {
      regexes.push_back(std::move(regex));
    }
  }
  if (!*byte_level || regexes.empty()) {
    return unsupported(pre, "a pre_tokenizer other than splits followed by ByteLevel");
  }
  spec.split_regex = regexes.back();
  regexes.pop_back();
  spec.pre_split_regexes = std::move(regexes);
  return Status::ok_status();
}

Status check_decoder(const JsonRef& root, TokenizerKind kind) {
  HKV_ASSIGN_OR_RETURN(JsonRef decoder, root.at("decoder"));
  HKV_ASSIGN_OR_RETURN(std::vector<JsonRef> items, sequence_items(decoder, "decoders"));
  std::vector<std::string> types;
  for (const JsonRef& item : items) {
    HKV_ASSIGN_OR_RETURN(std::string type, type_of(item));
    types.push_back(type);
  }
  if (kind == TokenizerKind::kByteLevelBpe) {
    if (types != std::vector<std::string>{"ByteLevel"}) {
      return unsupported(decoder, "a byte-level decoder other than ByteLevel");
    }
    return Status::ok_status();
  }
  const std::string expected = "decoder Sequence[Replace('▁', ' '), ByteFallback, Fuse, Strip]";
  if (types != std::vector<std::string>{"Replace", "ByteFallback", "Fuse", "Strip"}) {
    return unsupported(decoder, "anything but the " + expected);
  }
  HKV_ASSIGN_OR_RETURN(std::string from, literal_pattern(items[0]));
  HKV_ASSIGN_OR_RETURN(std::string to, items[0].get<std::string>("content"));
  HKV_ASSIGN_OR_RETURN(std::string strip, items[3].get<std::string>("content"));
  HKV_ASSIGN_OR_RETURN(int start, items[3].get<int>("start"));
  HKV_ASSIGN_OR_RETURN(int stop, items[3].get<int>("stop"));
  if (from != kMetaSpace || to != " " || strip != " " || start != 1 || stop != 0) {
    return unsupported(decoder, "anything but the " + expected + "(' ', 1, 0)");
  }
  return Status::ok_status();
}

// TemplateProcessing "single": the special tokens before $A become BOS, those after it EOS.
Status parse_template(const JsonRef& processor, TokenizerSpec& spec) {
  HKV_ASSIGN_OR_RETURN(JsonRef single, processor.at("single"));
  std::vector<int32_t> prefix;
  std::vector<int32_t> suffix;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef item, single.at(i));
    if (item.has("Sequence")) {
      seen_sequence = true;
      continue;
    }
    HKV_ASSIGN_OR_RETURN(JsonRef special, item.at("SpecialToken"));
    HKV_ASSIGN_OR_RETURN(std::string name, special.get<std::string>("id"));
    HKV_ASSIGN_OR_RETURN(JsonRef specials, processor.at("special_tokens"));
    HKV_ASSIGN_OR_RETURN(JsonRef entry, specials.at(name));
    HKV_ASSIGN_OR_RETURN(JsonRef ids_ref, entry.at("ids"));
    HKV_ASSIGN_OR_RETURN(std::vector<int32_t> ids, ids_ref.as_vector<int32_t>());
    (seen_sequence ? suffix : prefix)
        .insert((seen_sequence ? suffix : prefix).end(), ids.begin(), ids.end());
  }
  if (!seen_sequence || prefix.size() > 1 || suffix.size() > 1) {
    return unsupported(single, "a template other than [BOS] $A [EOS]");
  }
  if (!prefix.empty()) {
    spec.add_bos = true;
    spec.bos_id = prefix[0];
  }
  if (!suffix.empty()) {
    spec.add_eos = true;
    spec.eos_id = suffix[0];
  }
  return Status::ok_status();
}

Status parse_post_processor(const JsonRef& root, TokenizerSpec& spec) {
  if (!root.has("post_processor")) {
    return Status::ok_status();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef processor, root.at("post_processor"));
  HKV_ASSIGN_OR_RETURN(std::vector<JsonRef> items, sequence_items(processor, "processors"));
  for (const JsonRef& item : items) {
    HKV_ASSIGN_OR_RETURN(std::string type, type_of(item));
    if (type == "TemplateProcessing") {
      HKV_RETURN_IF_ERROR(parse_template(item, spec));
    } else if (type != "ByteLevel") {  // ByteLevel only trims offsets
      return unsupported(item, "post_processor type '" + type + "'");
    }
  }
  return Status::ok_status();
}

}  // namespace

Status parse_pipeline(const JsonRef& root, TokenizerSpec& spec) {
  HKV_ASSIGN_OR_RETURN(bool sentencepiece, is_sentencepiece_normalizer(root));
  bool byte_level = false;
  HKV_RETURN_IF_ERROR(parse_pre_tokenizer(root, spec, &byte_level));
  if (sentencepiece == byte_level) {
    return unsupported(root, "a pipeline that is neither byte-level nor SentencePiece-style");
  }
  spec.kind = byte_level ? TokenizerKind::kByteLevelBpe : TokenizerKind::kSentencePieceBpe;
  HKV_RETURN_IF_ERROR(check_decoder(root, spec.kind));
  return parse_post_processor(root, spec);
}

}  // namespace hkv::model::internal
