// Text metrics against the Python reference (tests/golden/metrics.json, written by
// tools/reference/make_metric_goldens.py): the Unicode tables, qa_f1, ROUGE, the Porter stemmer and
// the needle score; every golden value to 1e-9 and, beyond that, bit for bit; plus hand-written
// cases per metric. The task metrics and the aggregation are in metrics_task_test.cc.
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
#include "tests/metrics/metric_golden.h"
#include "tests/testing/data.h"

namespace hkv::jobs {
namespace {

using namespace metric_testing;  // NOLINT: the shared golden checks

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

}  // namespace
}  // namespace hkv::jobs
