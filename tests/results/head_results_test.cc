// Head detection results -> score files: kept tests only, in needle-major order whatever order the
// rows arrive in, one file and heatmap per kind, and a table row that says why a kind has no file.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "head_scores/score_file.h"
#include "results/result_tables.h"

namespace hkv::results {
namespace {

ResultRecord test_row(const std::string& kind,
                      const std::string& key,
                      std::vector<double> scores,
                      bool kept,
                      double success = 60.0) {
  ResultRecord r;
  r.benchmark = "heads";
  r.dataset = kind;
  r.sample_key = key;
  r.config = "FullKV";
  r.score = success;
  r.head_scores = jobs::HeadTestScores{1, 2, std::move(scores), true, kept};
  return r;
}

const std::string* file(const RenderedTables& t, const std::string& name) {
  for (const auto& [n, text] : t.files) {
    if (n == name) {
      return &text;
    }
  }
  return nullptr;
}

TEST(HeadResultsTest, KeptTestsInNeedleMajorOrderBecomeTheScoreFile) {
  // Rows arrive in task order of several workers, not in grid order.
  std::vector<ResultRecord> rows = {
      test_row("retrieval", "1:0:0", {0.3, 0.0}, true),
      test_row("retrieval", "0:1000:0", {0.2, 0.5}, true),
      test_row("retrieval", "0:0:100", {9.0, 9.0}, false, 10.0),  // dropped
      test_row("retrieval", "0:0:0", {0.1, 1.0}, true),
  };
  RenderedTables t = render_tables(rows);
  const std::string* json = file(t, "heads_retrieval.json");
  ASSERT_NE(json, nullptr);
  auto expected = head_scores::make_score_table(1, 2, {{0.1, 0.2, 0.3}, {1.0, 0.5, 0.0}});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(*json, head_scores::format_score_json(*expected));
  EXPECT_NE(file(t, "heads_retrieval.svg"), nullptr);
  EXPECT_NE(t.markdown.find("| retrieval | 4 | 3 | 47.50 | heads_retrieval.json (1 layers x 2 "
                            "heads) |"),
            std::string::npos)
      << t.markdown;
  EXPECT_NE(t.csv.find("Head detection,retrieval,kept,3"), std::string::npos);
  EXPECT_NE(t.json.find("\"Head detection\""), std::string::npos);
  auto parsed = head_scores::parse_score_json(*json, "heads_retrieval.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->num_samples, 3);
}

TEST(HeadResultsTest, KindsWithoutAFileSayWhy) {
  std::vector<ResultRecord> rows = {
      test_row("retrieval-reasoning", "0:0:0", {0.1, 0.1}, false),
      test_row("retrieval", "0:0:0", {0.1, 0.1}, true),
      test_row("retrieval", "0:0:0", {0.2, 0.2}, true),  // the same test twice
  };
  ResultRecord odd = test_row("retrieval", "1:0:0", {0.1, 0.1, 0.1}, true);
  odd.head_scores->num_heads = 3;
  RenderedTables t = render_tables(rows);
  EXPECT_EQ(file(t, "heads_retrieval-reasoning.json"), nullptr);
  EXPECT_NE(t.markdown.find("no retrieval-reasoning test was kept"), std::string::npos)
      << t.markdown;
  EXPECT_EQ(file(t, "heads_retrieval.json"), nullptr);
  EXPECT_NE(t.markdown.find("retrieval test 0:0:0 is reported twice"), std::string::npos);

  RenderedTables shapes = render_tables({rows[1], odd});
  EXPECT_EQ(file(shapes, "heads_retrieval.json"), nullptr);
  EXPECT_NE(shapes.markdown.find("one model per kind"), std::string::npos) << shapes.markdown;

  ResultRecord no_scores = rows[1];
  no_scores.head_scores.reset();
  RenderedTables malformed = render_tables({no_scores});
  EXPECT_NE(malformed.markdown.find("no head scores"), std::string::npos);
}

TEST(HeadResultsTest, SweepsWithoutHeadsHaveNoHeadTable) {
  ResultRecord r;
  r.benchmark = "babilong";
  r.dataset = "qa1";
  r.sample_key = "0k:0";
  r.config = "FullKV";
  r.score = 1.0;
  RenderedTables t = render_tables({r});
  EXPECT_EQ(t.markdown.find("Head detection"), std::string::npos);
  EXPECT_TRUE(t.files.empty());
}

}  // namespace
}  // namespace hkv::results
