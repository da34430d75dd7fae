// Needle-in-a-haystack (§7): numpy grids, period ids, the sorted haystack, the token-level
// insertion in both BOS modes, and the prompt goldens (tools/reference/make_prompt_goldens.py).
#include "benchmarks/needle.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/benchmarks/prompt_testing.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"

namespace hkv::jobs {
namespace {

using testing::CharTokenizer;

std::string haystack_dir() {
  return hkv::testing::repo_data_dir() + "/pg_essays";
}

std::string wrap(const std::string& context, const std::string& question) {
  return "<|im_start|> This is a very long story book: <book> " + context +
         " </book>.\n Based on the content of the book, Question: " + question + "\nAnswer:";
}

// A tokenizer answering from a fixed table (for the SentencePiece-style period derivation).
class TableTokenizer final : public TextTokenizer {
 public:
  explicit TableTokenizer(std::map<std::string, std::vector<int32_t>> table)
      : table_(std::move(table)) {}

  std::vector<int32_t> encode(std::string_view text, bool) const override {
    auto it = table_.find(std::string(text));
    return it == table_.end() ? std::vector<int32_t>{} : it->second;
  }

  Result<std::string> decode(std::span<const int32_t>, bool) const override {
    return std::string();
  }

  std::optional<int32_t> eos_id() const override { return std::nullopt; }

 private:
  std::map<std::string, std::vector<int32_t>> table_;
};

TEST(NeedleGrid, MatchesNumpy) {
  const Json golden = testing::load_prompt_golden("needle.json");
  for (const Json& g : golden.at("grids").at("depths")) {
    Result<std::vector<int32_t>> depths = needle_depth_percents(
        g.at("min").get<double>(), g.at("max").get<double>(), g.at("intervals").get<int32_t>());
    ASSERT_TRUE(depths.ok());
    EXPECT_EQ(*depths, g.at("values").get<std::vector<int32_t>>()) << g.at("intervals");
  }
  for (const Json& g : golden.at("grids").at("lengths")) {
    Result<std::vector<int32_t>> lengths = needle_context_lengths(
        g.at("min").get<int64_t>(), g.at("max").get<int64_t>(), g.at("interval").get<int64_t>());
    ASSERT_TRUE(lengths.ok());
    EXPECT_EQ(*lengths, g.at("values").get<std::vector<int32_t>>()) << g.at("min");
  }
  EXPECT_EQ(*needle_depth_percents(0, 100, 10),
            (std::vector<int32_t>{0, 11, 22, 33, 44, 56, 67, 78, 89, 100}));
  EXPECT_EQ(*needle_depth_percents(0, 100, 9),  // 12.5 -> 12, 37.5 -> 38: half to even
            (std::vector<int32_t>{0, 12, 25, 38, 50, 62, 75, 88, 100}));
  EXPECT_TRUE(needle_depth_percents(0, 100, 0)->empty());
  EXPECT_EQ(*numpy_arange(10, 0, -3), (std::vector<int32_t>{10, 7, 4, 1}));
  EXPECT_EQ(numpy_arange(0, 10, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(needle_context_lengths(1000, 2000, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(needle_depth_percents(0, 100, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST(NeedlePeriods, ReferenceListsAndDerivation) {
  EXPECT_EQ(*reference_period_ids("LLaMA3"), std::vector<int32_t>{13});
  EXPECT_EQ(*reference_period_ids("Mistral"), (std::vector<int32_t>{842, 28723}));
  EXPECT_EQ(reference_period_ids("llama3").status().code(), StatusCode::kNotFound);
  CharTokenizer chars;
  EXPECT_EQ(*derive_period_ids(chars), std::vector<int32_t>{256 + '.'});
  EXPECT_EQ(*newline_stop_id(chars), 256 + '\n');
  // What the Mistral tokenizer answers (make_prompt_goldens.py asserts it with the real file).
  TableTokenizer sentencepiece({{".", {842}}, {"a.", {264, 28723}}, {"\n", {28705, 13}}});
  EXPECT_EQ(*derive_period_ids(sentencepiece), (std::vector<int32_t>{842, 28723}));
  EXPECT_EQ(*newline_stop_id(sentencepiece), 13);
  TableTokenizer empty({});
  EXPECT_EQ(derive_period_ids(empty).status().code(), StatusCode::kInvalidArgument);
  const Json golden = testing::load_prompt_golden("needle.json");
  EXPECT_EQ(golden.at("derived_period_ids").at("llama3").get<std::vector<int32_t>>(),
            *reference_period_ids("LLaMA3"));
  EXPECT_EQ(golden.at("derived_period_ids").at("mistral").get<std::vector<int32_t>>(),
            *reference_period_ids("Mistral"));
}

TEST(NeedleHaystack, SortedTxtFilesWithPythonNewlines) {
  hkv::testing::TempDir dir;
  dir.write("b.txt", "B\r\nb\rb");
  dir.write("a.txt", "A.");
  dir.write("C.txt", "C");  // upper case sorts first (byte order)
  dir.write(".hidden.txt", "H");
  dir.write("notes.md", "M");
  std::filesystem::create_directories(dir.path() + "/d.txt");
  Result<std::string> pass = read_haystack_pass(dir.path());
  ASSERT_TRUE(pass.ok()) << pass.status().to_string();
  EXPECT_EQ(*pass, "CA.B\nb\nb");

  CharTokenizer tok;
  Result<Haystack> haystack = build_haystack(dir.path(), tok, 20, NeedleBosMode::kReference);
  ASSERT_TRUE(haystack.ok());
  EXPECT_EQ(haystack->text, "CA.B\nb\nbCA.B\nb\nbCA.B\nb\nb");  // whole passes until >= 20 tokens
  EXPECT_EQ(haystack->ids, tok.encode(haystack->text, true));

  hkv::testing::TempDir empty;
  EXPECT_EQ(read_haystack_pass(empty.path()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(read_haystack_pass(empty.path() + "/missing").status().code(), StatusCode::kNotFound);
}

TEST(NeedleHaystack, SharedEssaysMatchGolden) {
  HKV_ASSERT_DATA(haystack_dir());
  Result<std::string> pass = read_haystack_pass(haystack_dir());
  ASSERT_TRUE(pass.ok());
  const Json golden = testing::load_prompt_golden("needle.json");
  testing::expect_text_digest(golden.at("haystack").at("text"), *pass, "haystack");
}

struct InsertCase {
  NeedleBosMode mode;
  int32_t context_length;
  int32_t depth;
  std::string context;
};

TEST(NeedleInsert, PeriodBackoffAndBosModes) {
  hkv::testing::TempDir dir;
  dir.write("h.txt", "ab. cd. ef. gh.");
  CharTokenizer tok;
  const std::string bos(CharTokenizer::kBosText);
  const std::vector<InsertCase> cases = {
      // No stray BOS: Lc 14 cuts to "ab. cd. ef. gh"; 14 + 3 > 14 keeps 11 tokens "ab. cd. ef.".
      {NeedleBosMode::kNoStrayBos, 14, 0, "<N>ab. cd. ef."},
      {NeedleBosMode::kNoStrayBos, 14, 50, "ab.<N> cd. ef."},  // p = 5 backs off to 3
      {NeedleBosMode::kNoStrayBos, 14, 90, "ab. cd.<N> ef."},  // p = int(9.9) = 9 -> 7
      {NeedleBosMode::kNoStrayBos, 14, 100, "ab. cd. ef.<N>"},
      // Reference: the haystack (16 ids with BOS) is not cut at Lc 16, but tc = [BOS, ...] and
      // the needle's own BOS land in the context.
      {NeedleBosMode::kReference, 16, 50, bos + "ab." + bos + "<N> cd. ef."},
      {NeedleBosMode::kReference, 16, 100, bos + "ab. cd. ef." + bos + "<N>"},
      // Reference with a cut: ctx = decode(ids[:10]) starts with BOS text, so tc has two BOS.
      {NeedleBosMode::kReference, 10, 50, bos + "<N>" + bos + bos + "ab. "},
  };
  for (const InsertCase& c : cases) {
    NeedleOptions options;
    options.bos_mode = c.mode;
    options.period_ids = {256 + '.'};
    options.needle = "<N>";
    options.question = "Q?";
    options.buffer_tokens = 0;
    // The reference reads passes until max(context lengths) tokens: one pass here.
    Result<Haystack> haystack = build_haystack(dir.path(), tok, c.context_length, c.mode);
    ASSERT_TRUE(haystack.ok());
    ASSERT_EQ(haystack->text, "ab. cd. ef. gh.");
    Result<Sample> sample = build_needle_sample(*haystack, c.context_length, c.depth, tok, options);
    ASSERT_TRUE(sample.ok()) << sample.status().to_string();
    EXPECT_EQ(sample->prompt, wrap(c.context, "Q?")) << c.context_length << "/" << c.depth;
    EXPECT_EQ(sample->prompt_ids, tok.encode(sample->prompt, true));
  }
}

TEST(NeedleInsert, DepthUsesPythonFloatArithmetic) {
  hkv::testing::TempDir dir;
  dir.write("dots.txt", std::string(100, '.'));
  CharTokenizer tok;
  NeedleOptions options;
  options.period_ids = {256 + '.'};
  options.needle = "N";
  options.buffer_tokens = 0;
  Result<Haystack> haystack = build_haystack(dir.path(), tok, 1, NeedleBosMode::kNoStrayBos);
  ASSERT_TRUE(haystack.ok());
  // int(100 * (29 / 100)) = int(28.999999999999996) = 28, not 29.
  Result<Sample> sample = build_needle_sample(*haystack, 200, 29, tok, options);
  ASSERT_TRUE(sample.ok());
  EXPECT_EQ(sample->prompt,
            wrap(std::string(28, '.') + "N" + std::string(72, '.'), std::string(kNeedleQuestion)));
}

TEST(NeedleSampleTest, FieldsErrorsAndDatasetOrder) {
  hkv::testing::TempDir dir;
  dir.write("h.txt", std::string(300, 'x') + ". " + std::string(900, 'y') + ".");
  auto tok = std::make_shared<CharTokenizer>();
  NeedleOptions options;
  options.period_ids = *derive_period_ids(*tok);
  Result<Haystack> built = build_haystack(dir.path(), *tok, 1000, options.bos_mode);
  ASSERT_TRUE(built.ok());
  auto haystack = std::make_shared<const Haystack>(std::move(built).value());

  Result<Sample> sample = build_needle_sample(*haystack, 1000, 50, *tok, options);
  ASSERT_TRUE(sample.ok());
  EXPECT_EQ(sample->id, "needle/1000/50");
  EXPECT_EQ(sample->references, std::vector<std::string>{std::string(kNeedleText)});
  EXPECT_EQ(sample->max_new_tokens, 30);
  EXPECT_EQ(sample->min_new_tokens, 0);
  EXPECT_EQ(sample->stop_ids, (std::vector<int32_t>{CharTokenizer::kEos, 256 + '\n'}));
  EXPECT_EQ(sample->metadata.at("depth_percent"), 50);
  EXPECT_EQ(sample->metadata.at("bos_mode"), "no_stray_bos");
  EXPECT_EQ(sample->prompt.find(CharTokenizer::kBosText), std::string::npos);
  EXPECT_NE(sample->prompt.find("." + std::string(kNeedleText) + " yyy"), std::string::npos);

  EXPECT_EQ(build_needle_sample(*haystack, 1000, 101, *tok, options).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(build_needle_sample(*haystack, 250, 50, *tok, options).status().code(),
            StatusCode::kInvalidArgument);  // 50 tokens after the buffer < 96-token needle
  NeedleOptions reference = options;
  reference.bos_mode = NeedleBosMode::kReference;
  EXPECT_EQ(build_needle_sample(*haystack, 1000, 50, *tok, reference).status().code(),
            StatusCode::kFailedPrecondition);

  Result<NeedleDataset> ds =
      NeedleDataset::create(haystack, {1000, 1200}, {0, 50, 100}, tok, options);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->size(), 6u);
  Result<std::vector<Sample>> all = build_all_samples(*ds);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> ids;
  for (const Sample& s : *all) {
    ids.push_back(s.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"needle/1000/0", "needle/1000/50", "needle/1000/100",
                                           "needle/1200/0", "needle/1200/50", "needle/1200/100"}));
  EXPECT_EQ(ds->sample(6).status().code(), StatusCode::kOutOfRange);
  options.period_ids.clear();
  EXPECT_EQ(NeedleDataset::create(haystack, {1000}, {0}, tok, options).status().code(),
            StatusCode::kInvalidArgument);
}

// Golden "fake" cells: the full §7.2 construction over the shipped essays against the independent
// Python implementation with the same character tokenizer, in both BOS modes.
TEST(NeedleGolden, FakeTokenizerCellsMatch) {
  HKV_ASSERT_DATA(haystack_dir());
  const Json golden = testing::load_prompt_golden("needle.json");
  CharTokenizer tok;
  std::map<std::string, Haystack> haystacks;
  int checked = 0;
  for (const Json& c : golden.at("fake")) {
    const std::string mode_name = c.at("mode").get<std::string>();
    NeedleOptions options;
    options.bos_mode =
        mode_name == "reference" ? NeedleBosMode::kReference : NeedleBosMode::kNoStrayBos;
    options.period_ids = golden.at("derived_period_ids").at("fake").get<std::vector<int32_t>>();
    if (!haystacks.count(mode_name)) {
      Result<Haystack> built = build_haystack(haystack_dir(), tok, 2000, options.bos_mode);
      ASSERT_TRUE(built.ok()) << built.status().to_string();
      haystacks[mode_name] = std::move(built).value();
    }
    const int32_t length = c.at("context_length").get<int32_t>();
    const int32_t depth = c.at("depth_percent").get<int32_t>();
    Result<Sample> sample = build_needle_sample(haystacks[mode_name], length, depth, tok, options);
    ASSERT_TRUE(sample.ok()) << sample.status().to_string();
    const std::string label = mode_name + " " + sample->id;
    testing::expect_text_digest(c.at("prompt"), sample->prompt, label);
    testing::expect_ids_digest(c.at("ids"), sample->prompt_ids, label);
    ++checked;
  }
  EXPECT_EQ(checked, 12);
}

}  // namespace
}  // namespace hkv::jobs
