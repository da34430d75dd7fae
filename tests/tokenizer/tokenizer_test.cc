// Tokenizer tests: HF goldens for Llama-3 and Mistral (tools/reference/make_tokenizer_goldens.py),
// round trips, PROVENANCE.md ids, robustness and the word cache. Malformed files and from_spec
// vocabularies are in tokenizer_malformed_test.cc.
#include "tokenizer/tokenizer.h"

#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/data_file.h"
#include "common/json.h"
#include "tests/testing/data.h"
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

// ---- Robustness and the word cache -----------------------------------------------------------

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

// A fresh tokenizer encodes the golden corpus' ~20k-character essay line (its last line) the same
// on its first encode, which fills the word cache, and on later ones, which hit it.
TEST(TokenizerCache, LongEssayLineColdAndWarm) {
  for (const char* name : {"llama3", "mistral"}) {
    HKV_ASSERT_DATA(tokenizer_json_path(name));
    Result<Golden> golden =
        load_golden(hkv::testing::golden_path("tokenizer/" + std::string(name) + ".json"));
    ASSERT_TRUE(golden.ok()) << golden.status().to_string();
    const GoldenLine& line = golden->lines.back();
    ASSERT_GT(line.text.size(), 19000u);
    Result<Tokenizer> tokenizer = Tokenizer::from_hf_json(tokenizer_json_path(name));
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
    for (int rep = 0; rep < 3; ++rep) {
      ASSERT_EQ(tokenizer->encode(line.text, false), line.ids) << name << " encode " << rep;
    }
  }
}

}  // namespace
}  // namespace hkv::model
