// Tokenizer error handling and hand-made vocabularies: malformed tokenizer.json files (each a clear
// error, none a crash), Tokenizer::from_spec, and the lossy UTF-8 text helpers.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/data_file.h"
#include "common/json.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_text.h"

namespace hkv::model {
namespace {

std::string tokenizer_json_path(const std::string& name) {
  return hkv::testing::repo_data_dir() + "/tokenizers/" + name + "/tokenizer.json";
}

// ---- Malformed tokenizer.json --------------------------------------------------------------

// A minimal valid byte-level tokenizer.json: byte alphabet "a", "b", "ab" and one special token.
Json minimal_tokenizer_json() {
  return Json::parse(R"({
    "added_tokens": [{"id": 3, "content": "<|end|>", "special": true, "normalized": false,
                      "lstrip": false, "rstrip": false, "single_word": false}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": {"type": "ByteLevel"},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}
  })");
}

struct MalformedCase {
  const char* name;
  std::string contents;
  StatusCode code;
  const char* message_part;  // the JSON path or the offending value
};

std::vector<MalformedCase> malformed_cases() {
  std::vector<MalformedCase> cases;
  Json j = minimal_tokenizer_json();
  std::string valid = j.dump();
  cases.push_back({"not_json", "this is not JSON", StatusCode::kInvalidArgument, "malformed JSON"});
  cases.push_back({"truncated", valid.substr(0, valid.size() / 2), StatusCode::kInvalidArgument,
                   "malformed JSON"});
  cases.push_back({"not_object", "[1, 2]", StatusCode::kInvalidArgument, "$: expected object"});
  Json no_model = j;
  no_model.erase("model");
  cases.push_back({"missing_model", no_model.dump(), StatusCode::kNotFound, "$.model"});
  Json word_piece = j;
  word_piece["model"]["type"] = "WordPiece";
  cases.push_back({"unknown_model_type", word_piece.dump(), StatusCode::kUnimplemented,
                   "$.model.type: model type 'WordPiece'"});
  Json bad_merge = j;
  bad_merge["model"]["merges"] = Json::array({"a zz"});
  cases.push_back({"merge_unknown_token", bad_merge.dump(), StatusCode::kInvalidArgument,
                   "merge #0 ('a' 'zz'): token 'zz' is not in the vocab"});
  Json bad_merge_shape = j;
  bad_merge_shape["model"]["merges"] = Json::array({"ab"});
  cases.push_back({"merge_without_space", bad_merge_shape.dump(), StatusCode::kInvalidArgument,
                   "$.model.merges[0]"});
  Json big_id = j;
  big_id["model"]["vocab"]["b"] = 999999;
  cases.push_back({"vocab_id_out_of_range", big_id.dump(), StatusCode::kOutOfRange,
                   "$.model.vocab.b: id 999999 is out of range"});
  Json negative_id = j;
  negative_id["model"]["vocab"]["b"] = -1;
  cases.push_back(
      {"vocab_id_negative", negative_id.dump(), StatusCode::kOutOfRange, "$.model.vocab.b"});
  Json vocab_type = j;
  vocab_type["model"]["vocab"] = Json::array();
  cases.push_back({"vocab_not_object", vocab_type.dump(), StatusCode::kInvalidArgument,
                   "$.model.vocab: expected object"});
  Json clash = j;
  clash["added_tokens"][0]["id"] = 0;
  cases.push_back(
      {"added_token_id_clash", clash.dump(), StatusCode::kInvalidArgument,
       "$.added_tokens[0]: added token '<|end|>' has id 0, which is already token 'a'"});
  Json added_type = j;
  added_type["added_tokens"][0]["id"] = "three";
  cases.push_back({"added_token_id_type", added_type.dump(), StatusCode::kInvalidArgument,
                   "$.added_tokens[0].id: expected integer"});
  Json pre = j;
  pre["pre_tokenizer"] = Json::parse(R"({"type": "Whitespace"})");
  cases.push_back({"unsupported_pre_tokenizer", pre.dump(), StatusCode::kUnimplemented,
                   "$.pre_tokenizer: pre_tokenizer type 'Whitespace'"});
  Json bad_regex = j;
  bad_regex["pre_tokenizer"] = Json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"},
      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})");
  cases.push_back({"regex_does_not_compile", bad_regex.dump(), StatusCode::kInvalidArgument,
                   "regex '(unclosed' does not compile"});
  return cases;
}

TEST(TokenizerMalformed, EachCaseIsAClearError) {
  hkv::testing::TempDir dir;
  // The minimal file itself must load, or the cases below prove nothing.
  std::string valid_path = dir.write("valid.json", minimal_tokenizer_json().dump());
  Result<Tokenizer> valid = Tokenizer::from_hf_json(valid_path);
  ASSERT_TRUE(valid.ok()) << valid.status().to_string();
  EXPECT_EQ(valid->encode("ab<|end|>", false), (std::vector<int32_t>{2, 3}));

  for (const MalformedCase& c : malformed_cases()) {
    std::string path = dir.write(std::string(c.name) + ".json", c.contents);
    Result<Tokenizer> tokenizer = Tokenizer::from_hf_json(path);
    ASSERT_FALSE(tokenizer.ok()) << c.name << " loaded";
    const Status& status = tokenizer.status();
    EXPECT_EQ(status.code(), c.code) << c.name << ": " << status.to_string();
    EXPECT_NE(status.message().find(path), std::string::npos)
        << c.name << " does not name the file: " << status.to_string();
    EXPECT_NE(status.message().find(c.message_part), std::string::npos)
        << c.name << " lacks '" << c.message_part << "': " << status.to_string();
  }
}

// Every node of the minimal file replaced by every JSON type: each load must return (ok or a
// Status), never abort or throw.
TEST(TokenizerMalformed, AnyNodeOfAnyTypeNeverCrashes) {
  const Json valid = minimal_tokenizer_json();
  std::vector<std::string> pointers;
  const Json flat = valid.flatten();
  for (const auto& [pointer, unused] : flat.items()) {
    // Each leaf and all its ancestors ("/model/vocab/a", "/model/vocab", "/model").
    for (std::string p = pointer; !p.empty(); p = p.substr(0, p.rfind('/'))) {
      pointers.push_back(p);
    }
  }
  const Json replacements[] = {Json(),    Json(-7),      Json(1u << 31), Json(2.5),
                               Json("x"), Json::array(), Json::object(), Json(true)};
  hkv::testing::TempDir dir;
  int loaded = 0;
  for (const std::string& pointer : pointers) {
    for (const Json& replacement : replacements) {
      Json doc = valid;
      doc[Json::json_pointer(pointer)] = replacement;
      Result<Tokenizer> tokenizer = Tokenizer::from_hf_json(dir.write("t.json", doc.dump()));
      if (tokenizer.ok()) {
        ++loaded;
        (void)tokenizer->encode("ab <|end|> x", true);
      } else {
        EXPECT_FALSE(tokenizer.status().message().empty()) << pointer;
      }
    }
  }
  EXPECT_GT(loaded, 0);  // some replacements are harmless (e.g. a flag that stays a boolean)
}

TEST(TokenizerMalformed, MissingFileAndBadConfig) {
  Result<Tokenizer> missing = Tokenizer::from_hf_json("/nonexistent/tokenizer.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/tokenizer.json"), std::string::npos);

  hkv::testing::TempDir dir;
  std::string path = dir.write("tokenizer.json", minimal_tokenizer_json().dump());
  std::string config = dir.write("tokenizer_config.json", R"({"add_bos_token": "yes"})");
  Result<Tokenizer> bad_config = Tokenizer::from_hf_json(path);
  ASSERT_FALSE(bad_config.ok());
  EXPECT_NE(bad_config.status().message().find(config), std::string::npos)
      << bad_config.status().to_string();
  EXPECT_NE(bad_config.status().message().find("$.add_bos_token: expected boolean"),
            std::string::npos)
      << bad_config.status().to_string();
}

TEST(TokenizerMalformed, TruncatedRealFile) {
  HKV_ASSERT_DATA(tokenizer_json_path("mistral"));
  Result<std::string> text = read_data_file(tokenizer_json_path("mistral"));
  ASSERT_TRUE(text.ok());
  hkv::testing::TempDir dir;
  for (size_t keep : {size_t{0}, size_t{1}, text->size() / 3, text->size() - 2}) {
    std::string path = dir.write("tokenizer.json", text->substr(0, keep));
    Result<Tokenizer> tokenizer = Tokenizer::from_hf_json(path);
    ASSERT_FALSE(tokenizer.ok()) << "kept " << keep << " bytes";
    EXPECT_NE(tokenizer.status().message().find(path), std::string::npos);
  }
}

// ---- from_spec -------------------------------------------------------------------------------

// A hand-made byte-level spec: the 256 byte-alphabet characters (ids 0..255, in byte order), a
// few merges, and two added tokens.
TokenizerSpec small_byte_level_spec() {
  TokenizerSpec spec;
  spec.kind = TokenizerKind::kByteLevelBpe;
  for (int b = 0; b < 256; ++b) {
    spec.vocab.push_back(internal::byte_level_encode(std::string(1, static_cast<char>(b))));
  }
  const std::vector<std::pair<std::string, std::string>> merges = {{"h", "e"},
                                                                   {"l", "l"},
                                                                   {"he", "ll"},
                                                                   {"hell", "o"},
                                                                   {"\xC4\xA0", "w"},
                                                                   {"o", "r"},
                                                                   {"\xC4\xA0w", "or"},
                                                                   {"l", "d"},
                                                                   {"\xC4\xA0wor", "ld"},
                                                                   {"1", "2"},
                                                                   {"\xC4\xA0", "\xC4\xA0"}};
  for (const auto& [left, right] : merges) {
    spec.merges.emplace_back(left, right);
    spec.vocab.push_back(left + right);  // ids 256..266 ("hello" 259, "Ġworld" 264, "ĠĠ" 266)
  }
  spec.vocab.push_back("<|bos|>");  // 267
  spec.vocab.push_back("<|end|>");  // 268
  spec.added_tokens.push_back({267, "<|bos|>", true});
  spec.added_tokens.push_back({268, "<|end|>", true});
  spec.bos_id = 267;
  spec.add_bos = true;
  return spec;
}

TEST(TokenizerFromSpec, ByteLevelEncodeDecode) {
  Result<Tokenizer> tokenizer = Tokenizer::from_spec(small_byte_level_spec());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  // "hello" merges fully, " world" via Ġw + or + ld, "!" is its byte, <|end|> is matched whole.
  EXPECT_EQ(tokenizer->encode("hello world!<|end|>", false),
            (std::vector<int32_t>{259, 264, '!', 268}));
  EXPECT_EQ(tokenizer->encode("hello", true), (std::vector<int32_t>{267, 259}));
  // GPT-2 pattern: " 12" is one pre-token; "Ġ" (id 32) has no merge with the merged "12".
  EXPECT_EQ(tokenizer->encode(" 12", false), (std::vector<int32_t>{32, 265}));
  EXPECT_EQ(*tokenizer->decode({267, 259, 264, 268}, false), "<|bos|>hello world<|end|>");
  EXPECT_EQ(*tokenizer->decode({267, 259, 264, 268}, true), "hello world");
  EXPECT_EQ(*tokenizer->decode({0xE4, 'x'}, false), "\xEF\xBF\xBDx");  // cut character -> U+FFFD
  EXPECT_EQ(tokenizer->token_to_id("<|end|>"), 268);
  EXPECT_EQ(tokenizer->token_to_id("hello"), 259);
  EXPECT_EQ(tokenizer->token_to_id("nope"), std::nullopt);
  EXPECT_EQ(tokenizer->token_bytes(264), " world");
  EXPECT_EQ(tokenizer->token_bytes(268), "<|end|>");
  EXPECT_TRUE(tokenizer->is_special(268));
  EXPECT_FALSE(tokenizer->is_special(259));
  EXPECT_EQ(tokenizer->vocab_size(), 269);
  EXPECT_FALSE(tokenizer->decode({269}, false).ok());
  EXPECT_FALSE(tokenizer->decode({-1}, false).ok());
}

TEST(TokenizerFromSpec, PreSplitRegexesCutBeforeTheMainSplit) {
  TokenizerSpec spec = small_byte_level_spec();
  Result<Tokenizer> plain = Tokenizer::from_spec(spec);
  spec.pre_split_regexes = {"\\p{N}"};  // SmolLM2: Digits(individual_digits=true)
  Result<Tokenizer> digits = Tokenizer::from_spec(spec);
  ASSERT_TRUE(plain.ok() && digits.ok());
  EXPECT_EQ(plain->encode("12", false), (std::vector<int32_t>{265}));
  EXPECT_EQ(digits->encode("12", false), (std::vector<int32_t>{'1', '2'}));
  // "a  1": GPT-2 alone cuts "a", " ", " 1"; with digits cut first "  " stays one piece ("ĠĠ").
  EXPECT_EQ(plain->encode("a  1", false), (std::vector<int32_t>{'a', 32, 32, '1'}));
  EXPECT_EQ(digits->encode("a  1", false), (std::vector<int32_t>{'a', 266, '1'}));
}

TEST(TokenizerFromSpec, SentencePieceByteFallback) {
  TokenizerSpec spec;
  spec.kind = TokenizerKind::kSentencePieceBpe;
  spec.vocab = {"<unk>", "<s>", "</s>"};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    spec.vocab.push_back(name);  // ids 3..258
  }
  for (const char* token : {"\xE2\x96\x81", "h", "i", "\xE2\x96\x81h", "\xE2\x96\x81hi"}) {
    spec.vocab.push_back(token);  // ids 259..263
  }
  spec.merges = {{"\xE2\x96\x81", "h"}, {"\xE2\x96\x81h", "i"}};
  spec.added_tokens = {{0, "<unk>", true}, {1, "<s>", true}, {2, "</s>", true}};
  spec.byte_fallback = true;
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.add_bos = true;
  Result<Tokenizer> tokenizer = Tokenizer::from_spec(spec);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  // "hi é" -> "▁hi▁é": ▁hi, ▁, then é as bytes C3 A9 (ids 3 + byte).
  std::vector<int32_t> ids = tokenizer->encode("hi \xC3\xA9", true);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 263, 259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(*tokenizer->decode(ids, false), "<s> hi \xC3\xA9");
  EXPECT_EQ(*tokenizer->decode(ids, true), "hi \xC3\xA9");
  // A lone continuation byte: the whole invalid byte run becomes one U+FFFD per byte.
  EXPECT_EQ(*tokenizer->decode({263, 3 + 0xA9, 3 + 0xA9}, true), "hi\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tokenizer->token_bytes(3 + 0x41), "A");
  EXPECT_EQ(tokenizer->token_bytes(263), " hi");
}

TEST(TokenizerFromSpec, InvalidSpecsAreErrors) {
  struct Case {
    const char* name;
    void (*mutate)(TokenizerSpec&);
    const char* message_part;
  };

  const Case cases[] = {
      {"empty_vocab", [](TokenizerSpec& s) { s.vocab.clear(); }, "vocab is empty"},
      {"merge_unknown",
       [](TokenizerSpec& s) {
         s.merges.push_back({"zz", "h"});
       },
       "token 'zz' is not in the vocab"},
      {"merge_result_unknown",
       [](TokenizerSpec& s) {
         s.merges.push_back({"x", "y"});
       },
       "token 'xy' is not in the vocab"},
      {"added_out_of_range",
       [](TokenizerSpec& s) {
         s.added_tokens.push_back({999, "<x>"});
       },
       "has id 999, out of range"},
      {"added_clash",
       [](TokenizerSpec& s) {
         s.added_tokens.push_back({5, "<x>"});
       },
       "but vocab[5] is"},
      {"bos_out_of_range", [](TokenizerSpec& s) { s.bos_id = 5000; }, "bos_id 5000"},
      {"add_eos_without_id", [](TokenizerSpec& s) { s.add_eos = true; }, "no eos_id"},
      {"bad_regex", [](TokenizerSpec& s) { s.split_regex = "[unclosed"; }, "does not compile"},
  };
  for (const Case& c : cases) {
    TokenizerSpec spec = small_byte_level_spec();
    c.mutate(spec);
    Result<Tokenizer> tokenizer = Tokenizer::from_spec(std::move(spec));
    ASSERT_FALSE(tokenizer.ok()) << c.name;
    EXPECT_NE(tokenizer.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << tokenizer.status().to_string();
  }
}

TEST(TokenizerText, LossyUtf8MatchesRust) {
  using internal::utf8_lossy;
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xE4\xBD"), "\xEF\xBF\xBD");  // truncated: one U+FFFD
  EXPECT_EQ(utf8_lossy("\xE4\xBDx"), "\xEF\xBF\xBDx");
  EXPECT_EQ(utf8_lossy("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong: per byte
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(utf8_lossy("\xF0\x9F\x98"), "\xEF\xBF\xBD");
  EXPECT_EQ(utf8_lossy("\xF4\x90\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // > U+10FFFF
  EXPECT_EQ(internal::clean_up_tokenization("a , b . I 'm do n't"), "a, b. I'm don't");
}

}  // namespace
}  // namespace hkv::model
