// metrics/jieba.h against jieba 0.42.1 itself: every token list of tests/golden/metrics.json
// section "jieba" (tools/reference/make_metric_goldens.py) must match exactly, and qa_f1_zh_score /
// rouge_zh_score over the real segmenter bit for bit. Tests that need python3-jieba's data skip
// when it is absent; the loader's error paths and the literal parser run everywhere.
#include "metrics/jieba.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "metrics/jieba_py_literal.h"
#include "metrics/metrics.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"

namespace hkv::jobs {
namespace {

const Result<Json>& golden() {
  static const Result<Json> kGolden = read_json_file(hkv::testing::golden_path("metrics.json"));
  return kGolden;
}

std::string dict_path() {
  return jieba_data_dir() + "/dict.txt";
}

constexpr const char* kInstallHint =
    "install python3-jieba, or set HEADKV_JIEBA_DIR to a jieba 0.42.1 package directory";

const JiebaSegmenter& loaded() {
  static const Result<std::unique_ptr<JiebaSegmenter>> kLoaded =
      JiebaSegmenter::load(jieba_data_dir());
  HKV_CHECK(kLoaded.ok()) << kLoaded.status().to_string();
  return **kLoaded;
}

const Json& jieba_section(const char* key) {
  static const Json kEmpty = Json::array();
  if (!golden().ok() || !golden()->contains("jieba") || !(*golden())["jieba"].contains(key)) {
    ADD_FAILURE() << "metrics.json has no section jieba." << key;
    return kEmpty;
  }
  return (*golden())["jieba"][key];
}

std::string quoted(const std::string& s) {
  return dump_json(Json(s.size() > 120 ? s.substr(0, 120) + "..." : s));
}

TEST(Jieba, DataMatchesTheReferencePackage) {
  HKV_SKIP_UNLESS_EXISTS(dict_path(), kInstallHint);
  const Json& meta = jieba_section("meta");
  EXPECT_EQ(loaded().freq_size(), meta["freq_entries"].get<size_t>());
  EXPECT_EQ(loaded().total(), meta["total"].get<int64_t>());
  std::array<size_t, 4> emit = loaded().hmm().emit_sizes();
  EXPECT_EQ(emit[0], meta["emit_entries"]["B"].get<size_t>());
  EXPECT_EQ(emit[1], meta["emit_entries"]["M"].get<size_t>());
  EXPECT_EQ(emit[2], meta["emit_entries"]["E"].get<size_t>());
  EXPECT_EQ(emit[3], meta["emit_entries"]["S"].get<size_t>());
}

TEST(Jieba, CutMatchesPythonTokenForToken) {
  HKV_SKIP_UNLESS_EXISTS(dict_path(), kInstallHint);
  const Json& cases = jieba_section("cut");
  EXPECT_GE(cases.size(), 150u);
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string text = cases[i]["s"];
    Result<std::vector<std::string>> tokens = jieba_segmenter().cut(text);
    ASSERT_TRUE(tokens.ok()) << tokens.status().to_string();
    EXPECT_EQ(*tokens, cases[i]["tokens"].get<std::vector<std::string>>())
        << "cut[" << i << "] " << quoted(text);
  }
}

TEST(Jieba, ZhMetricsMatchPython) {
  HKV_SKIP_UNLESS_EXISTS(dict_path(), kInstallHint);
  for (const char* metric : {"qa_f1_zh", "rouge_zh"}) {
    const Json& cases = jieba_section(metric);
    EXPECT_GE(cases.size(), 100u) << metric;
    for (size_t i = 0; i < cases.size(); ++i) {
      std::string pred = cases[i]["pred"];
      std::string gt = cases[i]["gt"];
      Result<double> score =
          metric == std::string("qa_f1_zh") ? qa_f1_zh_score(pred, gt) : rouge_zh_score(pred, gt);
      ASSERT_TRUE(score.ok()) << score.status().to_string();
      double expected = cases[i]["value"];
      EXPECT_NEAR(*score, expected, 1e-9)
          << metric << "[" << i << "] pred=" << quoted(pred) << " gt=" << quoted(gt);
      EXPECT_EQ(*score, expected) << metric << "[" << i << "] not bit-exact";
    }
  }
}

TEST(Jieba, HandWritten) {
  HKV_SKIP_UNLESS_EXISTS(dict_path(), kInstallHint);
  auto cut = [](std::string_view text) { return *loaded().cut(text); };
  using Words = std::vector<std::string>;
  EXPECT_EQ(cut("我来到北京清华大学"), (Words{"我", "来到", "北京", "清华大学"}));
  EXPECT_EQ(cut("他来到了网易杭研大厦"), (Words{"他", "来到", "了", "网易", "杭研", "大厦"}));
  EXPECT_EQ(cut("a\r\nb\r\r\n"), (Words{"a", "\r\n", "b", "\r", "\r\n"}));
  EXPECT_EQ(cut("3.14.15%"), (Words{"3.14", ".", "15%"}));
  EXPECT_EQ(cut(""), Words{});
  EXPECT_EQ(cut("\xff中"), (Words{"\uFFFD", "中"}));  // an invalid byte is one U+FFFD
  EXPECT_EQ(*longbench_metric_score(LongBenchMetric::kQaF1Zh, "北京大学", "北京大学"), 1.0);
  EXPECT_EQ(*longbench_metric_score(LongBenchMetric::kRougeZh, "北京", "北京"), 0.999999995);
}

TEST(Jieba, DataDirFromEnvironment) {
  const char* old = std::getenv("HEADKV_JIEBA_DIR");
  std::string saved = old != nullptr ? old : "";
  ::setenv("HEADKV_JIEBA_DIR", "/opt/jieba", 1);
  EXPECT_EQ(jieba_data_dir(), "/opt/jieba");
  ::setenv("HEADKV_JIEBA_DIR", "", 1);
  EXPECT_EQ(jieba_data_dir(), kDefaultJiebaDir);
  if (old != nullptr) {
    ::setenv("HEADKV_JIEBA_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("HEADKV_JIEBA_DIR");
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A minimal data directory: `dict` as dict.txt and a two-character HMM.
void write_data_dir(const std::string& dir, const std::string& dict) {
  write_file(dir + "/dict.txt", dict);
  write_file(dir + "/finalseg/prob_start.py",
             "P={'B': -0.26, 'E': -3.14e+100, 'M': -3.14e+100, 'S': -1.46}\n");
  write_file(dir + "/finalseg/prob_trans.py",
             "P={'B': {'E': -0.51, 'M': -0.91},\n 'E': {'B': -0.58, 'S': -0.80},\n"
             " 'M': {'E': -0.33, 'M': -1.26},\n 'S': {'B': -0.72, 'S': -0.66}}\n");
  write_file(dir + "/finalseg/prob_emit.py",
             "from __future__ import unicode_literals\n\nP={'B': {'\\u4e00': -3.6},\n"
             " 'E': {'\\u4e00': -6.0}, 'M': {'\\u4e00': -4.4}, 'S': {'\\u4e01': -1.5}}\n");
}

TEST(JiebaLoad, MissingFilesNameThePathAndThePackage) {
  Result<std::unique_ptr<JiebaSegmenter>> missing = JiebaSegmenter::load("/nonexistent/jieba");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("'/nonexistent/jieba/dict.txt'"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("python3-jieba"), std::string::npos);

  hkv::testing::TempDir tmp;
  write_file(tmp.path() + "/dict.txt", "一 5 m\n");
  Result<std::unique_ptr<JiebaSegmenter>> no_hmm = JiebaSegmenter::load(tmp.path());
  ASSERT_FALSE(no_hmm.ok());
  EXPECT_EQ(no_hmm.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(no_hmm.status().message().find("finalseg/prob_start.py"), std::string::npos)
      << no_hmm.status().message();
}

// jieba_segmenter() loads once per process, so its missing-data error is checked in a fresh child
// (the "threadsafe" death-test style re-executes the binary for the statement).
TEST(JiebaLoad, GlobalSegmenterReportsMissingData) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("HEADKV_JIEBA_DIR", "/nonexistent/jieba", 1);
        Result<std::vector<std::string>> r = jieba_segmenter().cut("北京");
        Result<double> f1 = qa_f1_zh_score("北京", "北京");
        bool ok = !r.ok() && r.status().code() == StatusCode::kFailedPrecondition &&
                  r.status().message().find("'/nonexistent/jieba/dict.txt'") != std::string::npos &&
                  r.status().message().find("python3-jieba") != std::string::npos &&
                  f1.status() == r.status();
        std::fprintf(stderr, "%s\n", r.status().to_string().c_str());
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0),
      "FAILED_PRECONDITION: jieba dictionary '/nonexistent/jieba/dict.txt' not found: install "
      "python3-jieba");
}

TEST(JiebaLoad, TinyDictionaryAndMalformedLines) {
  hkv::testing::TempDir tmp;
  write_data_dir(tmp.path(), "一 5 m\n一丁 3\n丁 2 n\n一 7 m\n");
  Result<std::unique_ptr<JiebaSegmenter>> seg = JiebaSegmenter::load(tmp.path());
  ASSERT_TRUE(seg.ok()) << seg.status().to_string();
  EXPECT_EQ((*seg)->total(), 17);      // a repeated word counts twice in the total
  EXPECT_EQ((*seg)->freq_size(), 3u);  // 一, 一丁, 丁
  EXPECT_EQ(*(*seg)->cut("一丁 x"), (std::vector<std::string>{"一丁", " ", "x"}));

  for (const char* bad : {"一\n", "一  5\n", "一 -5\n", "一 5\n\n丁 3\n", "一 0x5\n", "\xff 5\n"}) {
    write_data_dir(tmp.path(), bad);
    Result<std::unique_ptr<JiebaSegmenter>> r = JiebaSegmenter::load(tmp.path());
    ASSERT_FALSE(r.ok()) << quoted(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().to_string();
    EXPECT_NE(r.status().message().find("dict.txt' at line"), std::string::npos)
        << r.status().to_string();
  }
}

TEST(JiebaPyLiteral, ParsesNestedDictsAndEscapes) {
  Result<std::vector<PyLiteralNumber>> r = parse_py_dict_literal(
      "from __future__ import unicode_literals\n# comment\nP = {'B': {'\\u4e00': -3.5e-1,\n"
      "  \"\\x41\\U0001F600\\\\\": 2, u'中': 0.1,}, 'S': -3.14e+100}\n",
      "p.py");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].keys, (std::vector<std::u32string>{U"B", U"\u4e00"}));
  EXPECT_EQ((*r)[0].value, -0.35);
  EXPECT_EQ((*r)[1].keys[1], U"A\U0001F600\\");
  EXPECT_EQ((*r)[1].value, 2.0);
  EXPECT_EQ((*r)[2].keys[1], U"中");
  EXPECT_EQ((*r)[2].value, 0.1);
  EXPECT_EQ((*r)[3].keys, (std::vector<std::u32string>{U"S"}));
  EXPECT_EQ((*r)[3].value, -3.14e100);
}

TEST(JiebaPyLiteral, RejectsWhatItDoesNotKnow) {
  for (const char* bad :
       {"P={'B': 1, 'B': 2}", "P={}", "P={'B': {}}", "P={'B': 1.5.2}", "P={'B': 01}",
        "P={'B': 1e999}", "P={'B': '1'}", "P={'B': 1} extra", "Q={'B': 1}", "P={'\\q': 1}",
        "P={'\\ud800': 1}", "P={'B' 1}", "P={'B': 1", "P={'B': - 1}", "P={'B': 1_0}"}) {
    Result<std::vector<PyLiteralNumber>> r = parse_py_dict_literal(bad, "bad.py");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << bad;
    EXPECT_NE(r.status().message().find("'bad.py' byte offset"), std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace hkv::jobs
