// Task metrics against the Python reference (tests/golden/metrics.json): classification, retrieval,
// count, code similarity, BABILong, the Chinese metrics' structure and the aggregation rounding;
// every golden value to 1e-9 and bit for bit, plus hand-written cases.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "metrics/jieba.h"
#include "metrics/levenshtein.h"
#include "metrics/metrics.h"
#include "metrics/py_unicode.h"
#include "tests/metrics/metric_golden.h"
#include "tests/testing/data.h"

namespace hkv::jobs {
namespace {

using namespace metric_testing;  // NOLINT: the shared golden checks

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
