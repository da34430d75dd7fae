// Metrics against the Python reference (tests/golden/metrics.json, written by
// tools/reference/make_metric_goldens.py): every golden value to 1e-9 and, beyond that, bit for
// bit; plus hand-written cases per metric and the aggregation rounding.
#include "metrics/metrics.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "metrics/jieba.h"
#include "metrics/levenshtein.h"
#include "metrics/porter_stemmer.h"
#include "metrics/py_unicode.h"
#include "metrics/rouge.h"
#include "tests/testing/data.h"

namespace hkv::jobs {
namespace {

const Result<Json>& golden() {
  static const Result<Json> kGolden = read_json_file(hkv::testing::golden_path("metrics.json"));
  return kGolden;
}

// golden()[path...] as a JSON node; the test fails (and returns an empty node) when missing.
const Json& section(std::initializer_list<const char*> path) {
  static const Json kEmpty = Json::array();
  const Json* node = &golden().value();
  for (const char* key : path) {
    if (!node->contains(key)) {
      ADD_FAILURE() << "metrics.json has no section '" << key << "'";
      return kEmpty;
    }
    node = &(*node)[key];
  }
  EXPECT_TRUE(node->is_array() || node->is_object());
  return *node;
}

std::string quoted(const std::string& s) {
  return dump_json(Json(s.size() > 120 ? s.substr(0, 120) + "..." : s));
}

std::vector<std::string> strings(const Json& array) {
  return array.get<std::vector<std::string>>();
}

// Within 1e-9, and bit-exact: both are reported with the metric, index and inputs.
void expect_value(
    const char* metric, size_t index, double actual, double expected, const std::string& inputs) {
  EXPECT_NEAR(actual, expected, 1e-9) << metric << "[" << index << "] " << inputs;
  EXPECT_EQ(actual, expected) << metric << "[" << index << "] not bit-exact: " << inputs;
}

std::string pair_inputs(const Json& c, const char* a = "pred", const char* b = "gt") {
  return std::string(a) + "=" + quoted(c[a]) + " " + b + "=" + quoted(c[b]);
}

class MetricGolden : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(golden().ok()) << golden().status().to_string(); }
};

// ---- Unicode: the generated tables against CPython over every code point ----

uint64_t fnv1a64(const void* data, size_t size, uint64_t h = 0xCBF29CE484222325ULL) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h = (h ^ bytes[i]) * 0x100000001B3ULL;
  }
  return h;
}

std::string hex64(uint64_t v) {
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

TEST_F(MetricGolden, UnicodeDigestsMatchPythonForEveryCodePoint) {
  uint64_t lower = 0xCBF29CE484222325ULL;
  std::vector<unsigned char> space, alnum, decimal;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) {
      continue;
    }
    std::u32string one(1, c);
    std::u32string low = py_lower(std::u32string_view(one));
    for (char32_t l : low) {
      uint32_t le = l;  // UTF-32-LE on the little-endian hosts we build on
      lower = fnv1a64(&le, 4, lower);
    }
    space.push_back(py_isspace(c));
    alnum.push_back(py_isalnum(c));
    decimal.push_back(py_isdecimal(c));
  }
  const Json& digests = section({"unicode", "digests"});
  EXPECT_EQ(hex64(lower), digests["lower"]);
  EXPECT_EQ(hex64(fnv1a64(space.data(), space.size())), digests["space"]);
  EXPECT_EQ(hex64(fnv1a64(alnum.data(), alnum.size())), digests["alnum"]);
  EXPECT_EQ(hex64(fnv1a64(decimal.data(), decimal.size())), digests["decimal"]);
}

TEST_F(MetricGolden, UnicodeLowerAndSplitMatchPython) {
  const Json& cases = section({"unicode", "strings"});
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string s = cases[i]["s"];
    EXPECT_EQ(py_lower(std::string_view(s)), cases[i]["lower"].get<std::string>())
        << "lower[" << i << "] " << quoted(s);
    EXPECT_EQ(py_split(std::string_view(s)), strings(cases[i]["split"]))
        << "split[" << i << "] " << quoted(s);
  }
}

TEST(MetricUnicode, HandWritten) {
  EXPECT_EQ(py_lower(std::string_view("ΟΔΟΣ ΣΟΦΟΣ")), "οδος σοφος");  // final sigma
  EXPECT_EQ(py_lower(std::string_view("Σ")), "σ");
  EXPECT_EQ(py_lower(std::string_view("İ")), "i\u0307");
  EXPECT_EQ(py_lower(std::string_view("\u212a")), "k");  // Kelvin sign
  EXPECT_EQ(py_split(std::string_view("a\u3000b\u200bc\x1c"
                                      "d")),
            (std::vector<std::string>{"a", "b\u200bc", "d"}));
  EXPECT_EQ(utf8_decode("\xff"
                        "a\xe2\x82"),
            (std::u32string{0xFFFD, U'a', 0xFFFD, 0xFFFD}));
}

// ---- LongBench qa_f1_score ----

TEST_F(MetricGolden, QaF1MatchesPython) {
  const Json& cases = section({"qa_f1"});
  ASSERT_GE(cases.size(), 300u);
  for (size_t i = 0; i < cases.size(); ++i) {
    expect_value(
        "qa_f1", i,
        qa_f1_score(cases[i]["pred"].get<std::string>(), cases[i]["gt"].get<std::string>()),
        cases[i]["value"], pair_inputs(cases[i]));
  }
}

TEST_F(MetricGolden, QaF1ExampleIsMaxOverAnswers) {
  const Json& cases = section({"qa_f1_example"});
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> answers = strings(cases[i]["answers"]);
    Result<double> score = longbench_example_score(LongBenchMetric::kQaF1,
                                                   cases[i]["pred"].get<std::string>(), answers);
    ASSERT_TRUE(score.ok()) << score.status().to_string();
    expect_value("qa_f1_example", i, *score, cases[i]["value"], quoted(cases[i]["pred"]));
  }
}

TEST_F(MetricGolden, NormalizeAnswerMatchesPython) {
  const Json& cases = section({"normalize_answer"});
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(normalize_answer(cases[i]["s"].get<std::string>()),
              cases[i]["value"].get<std::string>())
        << "normalize_answer[" << i << "] " << quoted(cases[i]["s"]);
  }
}

TEST(MetricQaF1, HandWritten) {
  struct Case {
    const char* pred;
    const char* gt;
    double expected;
  };

  const Case cases[] = {
      {"The cat sat.", "a cat sat", 1.0},
      {"cat dog", "cat", 2.0 * 0.5 * 1.0 / 1.5},
      {"", "anything", 0.0},
      {"the a an", "the", 0.0},  // both normalise to nothing
      {"Café", "CAFÉ", 1.0},
      {"theatre", "the atre", 0.0},  // \b keeps "the" inside a word
      {"cat cat cat", "cat", 2.0 * (1.0 / 3) * 1.0 / (1.0 / 3 + 1.0)},
  };
  for (const Case& c : cases) {
    EXPECT_DOUBLE_EQ(qa_f1_score(c.pred, c.gt), c.expected) << c.pred << " | " << c.gt;
  }
  EXPECT_EQ(normalize_answer("The Answer: an Apple!"), "answer apple");
}

// ---- ROUGE ----

TEST_F(MetricGolden, RougeLMatchesPltrdyRouge) {
  EXPECT_EQ(section({"meta"})["pltrdy_max_readout_steps"].get<int>(), kPltrdyRougeMaxReadoutSteps);
  const Json& cases = section({"rouge_l"});
  for (size_t i = 0; i < cases.size(); ++i) {
    expect_value(
        "rouge_l", i,
        rouge_score(cases[i]["pred"].get<std::string>(), cases[i]["gt"].get<std::string>()),
        cases[i]["value"], pair_inputs(cases[i]));
  }
}

TEST(MetricRougeL, HandWritten) {
  EXPECT_EQ(rouge_score("", "reference"), 0.0);  // "Hypothesis is empty." -> 0.0
  EXPECT_EQ(rouge_score("...", "a b"), 0.0);     // no non-empty "." segment
  // Identical text: P = R = 1, F = 2 / (2 + 1e-8).
  EXPECT_EQ(rouge_score("a b c", "a b c"), 2.0 * (1.0 / (2.0 + 1e-8)));
  // No case folding in pltrdy rouge.
  EXPECT_LT(rouge_score("The Cat", "the cat"), 1e-9);
  // A 991-step read-out is one recursion too deep for Python.
  std::string words;
  for (int i = 0; i < 991; ++i) {
    words += "w" + std::to_string(i) + " ";
  }
  EXPECT_EQ(rouge_score(words, words), 0.0);
  EXPECT_GT(*pltrdy_rouge_l_f(words, words, 991), 0.99);
}

TEST_F(MetricGolden, Rouge1MatchesRougeScore) {
  const Json& cases = section({"rouge1"});
  for (size_t i = 0; i < cases.size(); ++i) {
    RougeScore s =
        google_rouge1(cases[i]["target"].get<std::string>(), cases[i]["pred"].get<std::string>());
    std::string inputs = pair_inputs(cases[i], "target", "pred");
    expect_value("rouge1.p", i, s.precision, cases[i]["p"], inputs);
    expect_value("rouge1.r", i, s.recall, cases[i]["r"], inputs);
    expect_value("rouge1.f", i, s.fmeasure, cases[i]["f"], inputs);
  }
  const Json& tokenize = section({"rouge_score_tokenize"});
  for (size_t i = 0; i < tokenize.size(); ++i) {
    EXPECT_EQ(rouge_score_tokenize(tokenize[i]["s"].get<std::string>()),
              strings(tokenize[i]["tokens"]))
        << "rouge_score_tokenize[" << i << "] " << quoted(tokenize[i]["s"]);
  }
}

TEST(MetricRouge1, HandWritten) {
  EXPECT_EQ(rouge_score_tokenize("Running runners, İZMİR!"),
            (std::vector<std::string>{"run", "runner", "i", "zmi", "r"}));
  RougeScore s = google_rouge1("the cat sat", "the cat");
  EXPECT_DOUBLE_EQ(s.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.fmeasure, 0.8);
  RougeScore empty = google_rouge1("the cat", "");
  EXPECT_EQ(empty.fmeasure, 0.0);
}

TEST_F(MetricGolden, PorterStemmerMatchesNltk) {
  const Json& pairs = section({"porter"});
  ASSERT_GE(pairs.size(), 1000u);
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(porter_stem(pairs[i][0].get<std::string>()), pairs[i][1].get<std::string>())
        << "porter[" << i << "] " << pairs[i][0];
  }
}

TEST(MetricPorter, HandWritten) {
  const std::pair<const char*, const char*> cases[] = {
      {"caresses", "caress"},  {"ponies", "poni"},      {"dies", "die"},         {"agreed", "agre"},
      {"hopping", "hop"},      {"happy", "happi"},      {"enjoy", "enjoy"},      {"skies", "sky"},
      {"relational", "relat"}, {"generously", "gener"}, {"controll", "control"}, {"at", "at"},
  };
  for (const auto& [word, stem] : cases) {
    EXPECT_EQ(porter_stem(word), stem) << word;
  }
}

// ---- Needle ----

TEST_F(MetricGolden, NeedleScoresMatchPython) {
  const Json& heat = section({"needle_heatmap"});
  for (size_t i = 0; i < heat.size(); ++i) {
    expect_value("needle_heatmap", i, needle_heatmap_score(heat[i]["response"].get<std::string>()),
                 heat[i]["value"], quoted(heat[i]["response"]));
  }
  const Json& runner = section({"needle_runner"});
  for (size_t i = 0; i < runner.size(); ++i) {
    expect_value("needle_runner", i,
                 needle_runner_score(runner[i]["needle"].get<std::string>(),
                                     runner[i]["response"].get<std::string>()),
                 runner[i]["value"], quoted(runner[i]["response"]));
  }
}

TEST(MetricNeedle, HandWritten) {
  EXPECT_EQ(needle_heatmap_score("eat a sandwich and sit in Dolores Park on a sunny day."), 1.0);
  EXPECT_EQ(needle_heatmap_score("eat a sandwich and sit in Dolores Park on a sunny day"),
            10.0 / 11);  // "day" without its period does not count
  EXPECT_EQ(needle_heatmap_score(""), 0.0);
  EXPECT_EQ(needle_runner_score("the needle", ""), 0.0);
}

// ---- classification, retrieval, count, code similarity ----

TEST_F(MetricGolden, ClassificationMatchesPython) {
  const Json& lists = section({"classification", "class_lists"});
  const Json& cases = section({"classification", "cases"});
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> classes = strings(lists[cases[i]["class_list"].get<size_t>()]);
    expect_value("classification", i,
                 classification_score(cases[i]["pred"].get<std::string>(),
                                      cases[i]["gt"].get<std::string>(), classes),
                 cases[i]["value"], pair_inputs(cases[i]));
  }
}

TEST(MetricClassification, MutatedListBug) {
  // Both "ab" and "a" are proper substrings of the ground truth "abc", but removing "a" shifts
  // "ab" into the examined slot, so "ab" survives: matches = [ab, abc] -> 1/2 instead of 1.
  std::vector<std::string> classes = {"a", "ab", "abc"};
  EXPECT_EQ(classification_score("abc", "abc", classes), 0.5);
  EXPECT_EQ(classification_score("xyz", "abc", classes), 0.0);
  // "other" is removed, so "entity" is skipped and stays beside the ground truth.
  std::vector<std::string> trec = {"other", "entity", "other entity"};
  EXPECT_EQ(classification_score("other entity", "other entity", trec), 0.5);
}

TEST_F(MetricGolden, RetrievalAndCountMatchPython) {
  for (const char* name : {"retrieval", "retrieval_zh"}) {
    const Json& cases = section({name});
    for (size_t i = 0; i < cases.size(); ++i) {
      std::string pred = cases[i]["pred"];
      std::string gt = cases[i]["gt"];
      Result<double> score = std::string(name) == "retrieval" ? retrieval_score(pred, gt)
                                                              : retrieval_zh_score(pred, gt);
      if (cases[i].contains("error")) {
        EXPECT_EQ(score.status().code(), StatusCode::kInvalidArgument)
            << name << "[" << i << "] " << pair_inputs(cases[i]);
        continue;
      }
      ASSERT_TRUE(score.ok()) << name << "[" << i << "] " << score.status().to_string();
      expect_value(name, i, *score, cases[i]["value"], pair_inputs(cases[i]));
    }
  }
  const Json& count = section({"count"});
  for (size_t i = 0; i < count.size(); ++i) {
    expect_value(
        "count", i,
        count_score(count[i]["pred"].get<std::string>(), count[i]["gt"].get<std::string>()),
        count[i]["value"], pair_inputs(count[i]));
  }
}

TEST(MetricRetrieval, HandWritten) {
  EXPECT_EQ(*retrieval_score("Paragraph 12", "Paragraph 12"), 1.0);
  EXPECT_EQ(*retrieval_score("Paragraph 1, Paragraph 12", "Paragraph 12"), 0.5);
  EXPECT_EQ(*retrieval_score("none", "Paragraph 12"), 0.0);
  EXPECT_EQ(retrieval_score("12", "no paragraph").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*retrieval_zh_score("段落3", "答案是段落3。"), 1.0);
  EXPECT_EQ(count_score("3 or 4", "3"), 0.5);
  EXPECT_EQ(count_score("03", "3"), 0.0);  // string comparison, as the reference
}

TEST_F(MetricGolden, CodeSimMatchesFuzzywuzzy) {
  const Json& cases = section({"code_sim"});
  for (size_t i = 0; i < cases.size(); ++i) {
    expect_value(
        "code_sim", i,
        code_sim_score(cases[i]["pred"].get<std::string>(), cases[i]["gt"].get<std::string>()),
        cases[i]["value"], pair_inputs(cases[i]));
  }
  const Json& ratios = section({"fuzz_ratio"});
  for (size_t i = 0; i < ratios.size(); ++i) {
    EXPECT_EQ(fuzz_ratio(ratios[i]["a"].get<std::string>(), ratios[i]["b"].get<std::string>()),
              ratios[i]["value"].get<int>())
        << "fuzz_ratio[" << i << "] " << pair_inputs(ratios[i], "a", "b");
  }
}

TEST(MetricCodeSim, HandWritten) {
  EXPECT_EQ(fuzz_ratio("", ""), 100);  // equality is checked before emptiness
  EXPECT_EQ(fuzz_ratio("abc", ""), 0);
  EXPECT_EQ(indel_distance(U"abc", U"abd"), 2);  // a substitution costs 2
  EXPECT_EQ(levenshtein_ratio(U"abc", U"abd"), 1.0 - 2.0 / 6);
  EXPECT_EQ(fuzz_ratio("abcd", "abce"), 75);
  EXPECT_EQ(code_sim_score("# comment\n\nx = 1", "x = 1"), 0.0);  // the empty line wins
  EXPECT_EQ(code_sim_score("\n\n# c\nx = 1", "x = 1"), 1.0);
  EXPECT_EQ(longbench_first_line("\n\nfirst\nsecond"), "first");
}

// ---- BABILong ----

TEST_F(MetricGolden, BabilongMatchesCompareAnswers) {
  const Json& cases = section({"babilong"});
  for (size_t i = 0; i < cases.size(); ++i) {
    Result<std::vector<std::string>> labels =
        babilong_task_labels(cases[i]["task"].get<std::string>());
    ASSERT_TRUE(labels.ok()) << labels.status().to_string();
    bool correct = babilong_compare_answers(cases[i]["target"].get<std::string>(),
                                            cases[i]["pred"].get<std::string>(),
                                            cases[i]["question"].get<std::string>(), *labels);
    EXPECT_EQ(correct, cases[i]["value"].get<bool>())
        << "babilong[" << i << "] " << pair_inputs(cases[i], "target", "pred")
        << " question=" << quoted(cases[i]["question"]);
  }
  const Json& splits = section({"babilong_split"});
  for (size_t i = 0; i < splits.size(); ++i) {
    std::vector<bool> flags = splits[i]["correct"].get<std::vector<bool>>();
    auto correct = std::make_unique<bool[]>(flags.size());  // span<const bool> needs real bools
    std::copy(flags.begin(), flags.end(), correct.get());
    Result<double> score = babilong_split_score({correct.get(), flags.size()});
    ASSERT_TRUE(score.ok());
    expect_value("babilong_split", i, *score, splits[i]["value"], "");
  }
}

TEST(MetricBabilong, HandWritten) {
  std::vector<std::string> rooms = *babilong_task_labels("qa1");
  EXPECT_TRUE(babilong_compare_answers("bathroom", "The most recent location of Mary is bathroom.",
                                       "Where is Mary? ", rooms));
  EXPECT_FALSE(
      babilong_compare_answers("bathroom", "kitchen or bathroom", "Where is Mary? ", rooms));
  EXPECT_TRUE(babilong_compare_answers("bathroom", "bathroom. Then kitchen.", "Where? ", rooms));
  EXPECT_FALSE(babilong_compare_answers("bathroom", "<context>bathroom", "Where? ", rooms));
  // Labels named in the question never count.
  EXPECT_TRUE(babilong_compare_answers("garden", "Before the kitchen it was in the garden",
                                       "Where was it before the kitchen? ", rooms));
  std::vector<std::string> qa5 = *babilong_task_labels("qa5");
  EXPECT_TRUE(babilong_compare_answers("Fred", "Alfred", "Who? ", qa5));  // substring match
  EXPECT_TRUE(babilong_compare_answers("apple,milk", "milk and apple", "What? ", qa5));
  EXPECT_EQ(babilong_task_labels("qa9").status().code(), StatusCode::kNotFound);
}

// ---- Chinese metrics: the structure around the segmenter, checked with a per-code-point one;
// jieba itself and the real zh scores are in jieba_test.cc ----

class CodePointSegmenter final : public WordSegmenter {
 public:
  Result<std::vector<std::string>> cut(std::string_view text) const override {
    std::vector<std::string> out;
    for (char32_t c : utf8_decode(text)) {
      out.push_back(utf8_encode(std::u32string(1, c)));
    }
    return out;
  }
};

// The default segmenter is jieba: real values where python3-jieba's data is installed.
TEST(MetricZh, DefaultSegmenterIsJieba) {
  HKV_SKIP_UNLESS_EXISTS(jieba_data_dir() + "/dict.txt",
                         "install python3-jieba or set HEADKV_JIEBA_DIR");
  EXPECT_EQ(*qa_f1_zh_score("北京", "北京"), 1.0);
  EXPECT_EQ(*rouge_zh_score("北京", "北京"), 0.999999995);  // pltrdy F has a 1e-8 epsilon
  // jieba: 北京大学 | 的 | 学生 against 北京大学, so P = 1/3, R = 1 and F1 = 0.5.
  EXPECT_EQ(*qa_f1_zh_score("北京大学的学生", "北京大学"), 0.5);
  EXPECT_EQ(*longbench_metric_score(LongBenchMetric::kQaF1Zh, "a", "a"), 1.0);
}

TEST_F(MetricGolden, ZhStructureMatchesPythonWithSameSegmenter) {
  CodePointSegmenter segmenter;
  const Json& f1 = section({"zh_structure", "qa_f1_zh"});
  for (size_t i = 0; i < f1.size(); ++i) {
    Result<double> score =
        qa_f1_zh_score(f1[i]["pred"].get<std::string>(), f1[i]["gt"].get<std::string>(), segmenter);
    ASSERT_TRUE(score.ok());
    expect_value("qa_f1_zh(structure)", i, *score, f1[i]["qa_f1_zh"], pair_inputs(f1[i]));
  }
  const Json& rouge = section({"zh_structure", "rouge_zh"});
  for (size_t i = 0; i < rouge.size(); ++i) {
    Result<double> score = rouge_zh_score(rouge[i]["pred"].get<std::string>(),
                                          rouge[i]["gt"].get<std::string>(), segmenter);
    ASSERT_TRUE(score.ok());
    expect_value("rouge_zh(structure)", i, *score, rouge[i]["value"], pair_inputs(rouge[i]));
  }
  const Json& normalize = section({"zh_structure", "normalize_zh_answer"});
  for (size_t i = 0; i < normalize.size(); ++i) {
    EXPECT_EQ(normalize_zh_answer(normalize[i]["s"].get<std::string>()),
              normalize[i]["value"].get<std::string>())
        << "normalize_zh_answer[" << i << "]";
  }
}

// ---- aggregation ----

TEST_F(MetricGolden, AggregationMatchesPythonRound) {
  const Json& rounding = section({"python_round"});
  for (size_t i = 0; i < rounding.size(); ++i) {
    double x = rounding[i]["x"];
    expect_value("python_round", i, python_round(x, rounding[i]["ndigits"].get<int>()),
                 rounding[i]["value"], std::to_string(x));
  }
  const Json& datasets = section({"dataset_score"});
  for (size_t i = 0; i < datasets.size(); ++i) {
    std::vector<double> scores = datasets[i]["scores"].get<std::vector<double>>();
    Result<double> value = longbench_dataset_score(scores);
    ASSERT_TRUE(value.ok());
    expect_value("dataset_score", i, *value, datasets[i]["value"], "");
  }
}

TEST(MetricAggregate, HandWritten) {
  EXPECT_EQ(python_round(32.305, 2), 32.3);  // 32.305 is 32.30499999... in binary
  EXPECT_EQ(python_round(6.625, 2), 6.62);   // exact tie: half to even
  EXPECT_EQ(python_round(0.375, 2), 0.38);
  EXPECT_EQ(python_round(2.675, 2), 2.67);
  EXPECT_EQ(python_round(2.5, 0), 2.0);
  EXPECT_EQ(format_score_cell(32.3), "32.30");
  EXPECT_EQ(format_score_cell(python_round(6.625, 2)), "6.62");
  std::vector<double> scores = {1.0, 0.0, 0.5};
  EXPECT_EQ(*longbench_dataset_score(scores), 50.0);
  EXPECT_EQ(longbench_dataset_score({}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*parse_longbench_metric("qa_f1_score"), LongBenchMetric::kQaF1);
  EXPECT_STREQ(longbench_metric_name(LongBenchMetric::kCodeSim), "code_sim_score");
  EXPECT_FALSE(parse_longbench_metric("bleu").ok());
}

}  // namespace
}  // namespace hkv::jobs
