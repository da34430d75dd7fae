// Tokenizer tests: HF goldens for Llama-3 and Mistral (tools/reference/make_tokenizer_goldens.py),
// round trips, PROVENANCE.md ids, malformed tokenizer.json files, and a hand-made from_spec vocab.
#include "tokenizer/tokenizer.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/data_file.h"
#include "common/json.h"
#include "common/mapped_file.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "tokenizer/tokenizer_text.h"

namespace hkv::model {
namespace {

std::string tokenizer_json_path(const std::string& name) {
  return hkv::testing::repo_data_dir() + "/tokenizers/" + name + "/tokenizer.json";
}

// Loads each shipped tokenizer once per test binary: the Llama-3 file is 9 MB of JSON.
const Result<Tokenizer>& shared_tokenizer(const std::string& name) {
  static std::map<std::string, Result<Tokenizer>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it = cache.emplace(name, Tokenizer::from_hf_json(tokenizer_json_path(name))).first;
  }
  return it->second;
}

std::string ids_string(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) {
    out += (out.empty() ? "" : " ") + std::to_string(id);
  }
  return out;
}

std::string preview(const std::string& text) {
  return dump_json(Json(text.size() > 80 ? text.substr(0, 80) + "..." : text));
}

// ---- Goldens -------------------------------------------------------------------------------

struct GoldenLine {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<int32_t> ids_special;
  std::string decode;        // decode(ids_special, skip_special_tokens=false)
  std::string decode_skip;   // decode(ids_special, skip_special_tokens=true)
  std::string decode_plain;  // decode(ids, false)
};

struct DecodeCase {
  std::vector<int32_t> ids;
  std::string decode;
  std::string decode_skip;
};

struct Golden {
  std::vector<GoldenLine> lines;
  std::vector<DecodeCase> decode_cases;
};

// A string field that is null when it equals `fallback` (the golden's size trick).
Result<std::string> string_or(const JsonRef& ref, const char* key, const std::string& fallback) {
  HKV_ASSIGN_OR_RETURN(JsonRef field, ref.at(key));
  return field.is_null() ? fallback : field.as<std::string>();
}

Result<GoldenLine> parse_line(const JsonRef& ref) {
  GoldenLine line;
  HKV_ASSIGN_OR_RETURN(line.text, ref.get<std::string>("text"));
  HKV_ASSIGN_OR_RETURN(JsonRef ids, ref.at("ids"));
  HKV_ASSIGN_OR_RETURN(line.ids, ids.as_vector<int32_t>());
  HKV_ASSIGN_OR_RETURN(JsonRef prefix_ref, ref.at("special_prefix"));
  HKV_ASSIGN_OR_RETURN(JsonRef suffix_ref, ref.at("special_suffix"));
  HKV_ASSIGN_OR_RETURN(std::vector<int32_t> prefix, prefix_ref.as_vector<int32_t>());
  HKV_ASSIGN_OR_RETURN(std::vector<int32_t> suffix, suffix_ref.as_vector<int32_t>());
  line.ids_special = prefix;
  line.ids_special.insert(line.ids_special.end(), line.ids.begin(), line.ids.end());
  line.ids_special.insert(line.ids_special.end(), suffix.begin(), suffix.end());
  HKV_ASSIGN_OR_RETURN(line.decode, string_or(ref, "decode", line.text));
  HKV_ASSIGN_OR_RETURN(line.decode_skip, string_or(ref, "decode_skip", line.text));
  HKV_ASSIGN_OR_RETURN(line.decode_plain, string_or(ref, "decode_plain", line.text));
  return line;
}

Result<Golden> load_golden(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(Json doc, read_json_file(path));
  JsonRef root(doc, path);
  Golden golden;
  HKV_ASSIGN_OR_RETURN(JsonRef lines, root.at("lines"));
  for (size_t i = 0; i < lines.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef ref, lines.at(i));
    HKV_ASSIGN_OR_RETURN(GoldenLine line, parse_line(ref));
    golden.lines.push_back(std::move(line));
  }
  HKV_ASSIGN_OR_RETURN(JsonRef cases, root.at("decode_cases"));
  for (size_t i = 0; i < cases.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef ref, cases.at(i));
    DecodeCase c;
    HKV_ASSIGN_OR_RETURN(JsonRef ids, ref.at("ids"));
    HKV_ASSIGN_OR_RETURN(c.ids, ids.as_vector<int32_t>());
    HKV_ASSIGN_OR_RETURN(c.decode, ref.get<std::string>("decode"));
    HKV_ASSIGN_OR_RETURN(c.decode_skip, ref.get<std::string>("decode_skip"));
    golden.decode_cases.push_back(std::move(c));
  }
  return golden;
}

// First index where two id lists differ (the shorter length when one is a prefix).
size_t first_difference(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    ++i;
  }
  return i;
}

// Checks one golden line; returns "" or a description of the first mismatch.
std::string check_line(const Tokenizer& tokenizer, const GoldenLine& line) {
  for (bool special : {false, true}) {
    const std::vector<int32_t>& want = special ? line.ids_special : line.ids;
    std::vector<int32_t> got = tokenizer.encode(line.text, special);
    if (got != want) {
      size_t at = first_difference(got, want);
      return "encode(add_special_tokens=" + std::string(special ? "true" : "false") +
             ") differs at id index " + std::to_string(at) + "\n  got:  " + ids_string(got) +
             "\n  want: " + ids_string(want);
    }
  }

  struct Decode {
    const std::vector<int32_t>* ids;
    bool skip;
    const std::string* want;
  };

  for (const Decode& d : {Decode{&line.ids_special, false, &line.decode},
                          Decode{&line.ids_special, true, &line.decode_skip},
                          Decode{&line.ids, false, &line.decode_plain}}) {
    Result<std::string> got = tokenizer.decode(*d.ids, d.skip);
    if (!got.ok() || *got != *d.want) {
      return "decode(skip_special_tokens=" + std::string(d.skip ? "true" : "false") + "): got " +
             (got.ok() ? preview(*got) : got.status().to_string()) + ", want " + preview(*d.want);
    }
  }
  return "";
}

class TokenizerGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerGoldenTest, MatchesHuggingFace) {
  const std::string name = GetParam();
  HKV_ASSERT_DATA(tokenizer_json_path(name));
  const Result<Tokenizer>& tokenizer = shared_tokenizer(name);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  Result<Golden> golden = load_golden(hkv::testing::golden_path("tokenizer/" + name + ".json"));
  ASSERT_TRUE(golden.ok()) << golden.status().to_string();
  ASSERT_GT(golden->lines.size(), 100u);

  size_t mismatches = 0;
  std::string first;
  for (size_t i = 0; i < golden->lines.size(); ++i) {
    std::string problem = check_line(*tokenizer, golden->lines[i]);
    if (!problem.empty() && mismatches++ == 0) {
      first = "line " + std::to_string(i) + " " + preview(golden->lines[i].text) + ": " + problem;
    }
  }
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << golden->lines.size()
                            << " golden lines differ; first: " << first;

  for (size_t i = 0; i < golden->decode_cases.size(); ++i) {
    const DecodeCase& c = golden->decode_cases[i];
    Result<std::string> plain = tokenizer->decode(c.ids, false);
    Result<std::string> skip = tokenizer->decode(c.ids, true);
    ASSERT_TRUE(plain.ok() && skip.ok()) << "decode case " << i;
    EXPECT_EQ(*plain, c.decode) << "decode case " << i << " ids " << ids_string(c.ids);
    EXPECT_EQ(*skip, c.decode_skip) << "decode case " << i << " ids " << ids_string(c.ids);
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizer,
                         TokenizerGoldenTest,
                         ::testing::Values("llama3", "mistral"),
                         [](const auto& info) { return std::string(info.param); });

// ---- Known ids (PROVENANCE.md) ---------------------------------------------------------------

TEST(TokenizerKnownIds, Llama3HelloWorld) {
  HKV_ASSERT_DATA(tokenizer_json_path("llama3"));
  const Result<Tokenizer>& tokenizer = shared_tokenizer("llama3");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  const std::vector<int32_t> want = {9906, 1917, 11, 279, 842, 13};
  EXPECT_EQ(tokenizer->encode("Hello world, the end.", false), want);
  // This first-release snapshot's post_processor adds no <|begin_of_text|>.
  EXPECT_EQ(tokenizer->encode("Hello world, the end.", true), want);
  EXPECT_EQ(tokenizer->token_to_id("<|eot_id|>"), 128009);
  EXPECT_TRUE(tokenizer->is_special(128009));
  EXPECT_FALSE(tokenizer->is_special(9906));
  EXPECT_EQ(tokenizer->vocab_size(), 128256);
  EXPECT_EQ(tokenizer->token_string(1917), "\xC4\xA0world");  // "Ġworld"
  EXPECT_EQ(tokenizer->token_bytes(1917), " world");
  EXPECT_EQ(tokenizer->spec().bos_id, 128000);
  EXPECT_EQ(tokenizer->spec().eos_id, 128001);
  EXPECT_FALSE(tokenizer->spec().chat_template.empty());
}

TEST(TokenizerKnownIds, MistralHelloWorldAndInst) {
  HKV_ASSERT_DATA(tokenizer_json_path("mistral"));
  const Result<Tokenizer>& tokenizer = shared_tokenizer("mistral");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  EXPECT_EQ(tokenizer->encode("Hello world, the end.", true),
            (std::vector<int32_t>{1, 22557, 1526, 28725, 272, 948, 28723}));
  EXPECT_EQ(tokenizer->encode("[INST]", false), (std::vector<int32_t>{733, 16289, 28793}));
  EXPECT_EQ(tokenizer->token_bytes(13), "\n");  // <0x0A>
  EXPECT_EQ(tokenizer->token_bytes(22557), " Hello");
  EXPECT_TRUE(tokenizer->spec().add_bos);
  EXPECT_EQ(tokenizer->spec().bos_id, 1);
  EXPECT_EQ(tokenizer->spec().kind, TokenizerKind::kSentencePieceBpe);
  Result<std::string> bad = tokenizer->decode({1, 32000}, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(bad.status().message().find("32000"), std::string::npos);
}

// ---- Round trips ---------------------------------------------------------------------------

// Seeded random text over the character classes the tokenizers treat differently: ASCII letters,
// digits and punctuation, whitespace runs, Latin-1, combining marks, CJK, Hangul, emoji (with
// ZWJ and skin tones) and astral letters. '<' is left out so no special-token literal appears,
// and "▁" so SentencePiece round trips exactly.
std::string random_text(std::mt19937& rng, size_t length) {
  static const std::vector<std::pair<char32_t, char32_t>> kRanges = {
      {'a', 'z'},         {'A', 'Z'},         {'0', '9'},       {'!', ';'},
      {'=', '~'},         {' ', ' '},         {'\n', '\n'},     {'\t', '\t'},
      {0xA0, 0xFF},       {0x300, 0x36F},     {0x4E00, 0x4FFF}, {0xAC00, 0xACFF},
      {0x1F600, 0x1F64F}, {0x1F3FB, 0x1F3FF}, {0x200D, 0x200D}, {0x1D400, 0x1D44F},
      {0x3000, 0x3000},   {0x2028, 0x2029},   {0x0660, 0x0669}, {0x180E, 0x180E},
  };
  std::uniform_int_distribution<size_t> pick(0, kRanges.size() - 1);
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    auto [lo, hi] = kRanges[pick(rng)];
    std::uniform_int_distribution<uint32_t> cp(lo, hi);
    internal::utf8_append(out, cp(rng));
  }
  return out;
}

class TokenizerRoundTripTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerRoundTripTest, DecodeEncodeIsIdentity) {
  const std::string name = GetParam();
  HKV_ASSERT_DATA(tokenizer_json_path(name));
  const Result<Tokenizer>& tokenizer = shared_tokenizer(name);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  std::mt19937 rng(1234);
  std::vector<std::string> texts = {"", " ", "  leading", "trailing  ", "a\n\n\tb", "I'm DON'T"};
  for (int i = 0; i < 300; ++i) {
    texts.push_back(random_text(rng, 1 + i % 40));
  }
  for (const std::string& text : texts) {
    for (bool special : {false, true}) {
      Result<std::string> decoded = tokenizer->decode(tokenizer->encode(text, special), true);
      ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
      ASSERT_EQ(*decoded, text) << name << " text " << preview(text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizer,
                         TokenizerRoundTripTest,
                         ::testing::Values("llama3", "mistral"),
                         [](const auto& info) { return std::string(info.param); });

// ---- Robustness and speed ------------------------------------------------------------------

TEST(TokenizerInput, InvalidUtf8IsReadAsReplacementCharacters) {
  HKV_ASSERT_DATA(tokenizer_json_path("llama3"));
  const Result<Tokenizer>& tokenizer = shared_tokenizer("llama3");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  EXPECT_EQ(tokenizer->encode("a\xFF\xE4\xBD z\xF0\x9F", false),
            tokenizer->encode("a\xEF\xBF\xBD\xEF\xBF\xBD z\xEF\xBF\xBD", false));
}

TEST(TokenizerInput, LongRunsAndConcurrentEncodes) {
  HKV_ASSERT_DATA(tokenizer_json_path("llama3"));
  const Result<Tokenizer>& tokenizer = shared_tokenizer("llama3");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  // Long runs stress the regex engine's backtracking (\s+(?!\S)) and the JIT stack.
  for (const std::string& run : {std::string(200000, ' '), std::string(200000, '!'),
                                 std::string(100000, 'a'), std::string(50000, '\n') + "x"}) {
    std::vector<int32_t> ids = tokenizer->encode(run, false);
    ASSERT_FALSE(ids.empty());
    Result<std::string> decoded = tokenizer->decode(ids, false);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, run);
  }
  std::mt19937 rng(7);
  std::string text = random_text(rng, 5000);
  std::vector<int32_t> want = tokenizer->encode(text, false);
  std::vector<std::vector<int32_t>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) {
    threads.emplace_back([&] { out = tokenizer->encode(text, false); });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& ids : got) {
    EXPECT_EQ(ids, want);
  }
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Reports load time and the encode time of the golden corpus' ~20k-character essay line (its
// last line) with a fresh tokenizer: the first encode fills the word cache, later ones hit it.
TEST(TokenizerSpeed, LongEssayLine) {
  for (const char* name : {"llama3", "mistral"}) {
    HKV_ASSERT_DATA(tokenizer_json_path(name));
    Result<Golden> golden =
        load_golden(hkv::testing::golden_path("tokenizer/" + std::string(name) + ".json"));
    ASSERT_TRUE(golden.ok()) << golden.status().to_string();
    const GoldenLine& line = golden->lines.back();
    ASSERT_GT(line.text.size(), 19000u);
    auto start = std::chrono::steady_clock::now();
    Result<Tokenizer> tokenizer = Tokenizer::from_hf_json(tokenizer_json_path(name));
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
    double load_ms = elapsed_ms(start);
    double cold_ms = 0;
    double warm_ms = 1e9;
    for (int rep = 0; rep < 4; ++rep) {
      start = std::chrono::steady_clock::now();
      std::vector<int32_t> ids = tokenizer->encode(line.text, false);
      double ms = elapsed_ms(start);
      (rep == 0 ? cold_ms : warm_ms) = rep == 0 ? ms : std::min(warm_ms, ms);
      ASSERT_EQ(ids, line.ids);
    }
    std::printf(
        "[ timing   ] %s: load %.0f ms; encode %zu chars -> %zu ids: %.2f ms cold, "
        "%.2f ms warm (best of 3)\n",
        name, load_ms, line.text.size(), line.ids.size(), cold_ms, warm_ms);
    EXPECT_LT(cold_ms, 2000.0);
  }
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
