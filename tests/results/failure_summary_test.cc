// Failed tasks grouped by cause: masking of names and numbers, ordering, and the tables' sections.
#include "results/failure_summary.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "results/result_tables.h"

namespace hkv::results {
namespace {

std::vector<FailedTask> sample_failures() {
  return {
      {"babilong", "qa1", "0k:0", "cannot open '/x/babilong/0k/qa1.jsonl': No such file", 2},
      {"babilong", "qa2", "0k:1", "cannot open '/x/babilong/0k/qa2.jsonl': No such file", 2},
      {"longbench", "multi_news", "0", "multi_news.jsonl has 150 samples, no index 170", 2},
      {"babilong", "qa1", "0k:2", "cannot open '/x/babilong/0k/qa1.jsonl': No such file", 2},
  };
}

TEST(FailureSummaryTest, CauseMasksQuotedNamesAndNumbers) {
  EXPECT_EQ(failure_cause("cannot open '/a/b.jsonl': No such file"),
            "cannot open '…': No such file");
  EXPECT_EQ(failure_cause("has 150 samples, no index 170"), "has N samples, no index N");
  EXPECT_EQ(failure_cause(""), "(no error message)");
  EXPECT_LE(failure_cause(std::string(1000, 'x')).size(), 200u);
}

TEST(FailureSummaryTest, GroupsByCauseLargestFirst) {
  std::vector<FailureCause> causes = group_failures(sample_failures());
  ASSERT_EQ(causes.size(), 2u);
  EXPECT_EQ(causes[0].tasks, 3);
  EXPECT_EQ(causes[0].first_task, "babilong/qa1/0k:0");
  EXPECT_EQ(causes[0].first_error, "cannot open '/x/babilong/0k/qa1.jsonl': No such file");
  EXPECT_EQ(causes[1].tasks, 1);
  const std::string text = failure_summary_text(sample_failures());
  EXPECT_NE(text.find("4 task(s) failed, 2 cause(s)"), std::string::npos);
  EXPECT_EQ(failure_summary_text({}), "");
}

TEST(FailureSummaryTest, TablesCarryTheSummary) {
  RenderedTables t = render_tables({}, sample_failures());
  EXPECT_NE(t.markdown.find("### Failed tasks"), std::string::npos);
  EXPECT_NE(t.markdown.find("**4 task(s) failed**"), std::string::npos);
  EXPECT_NE(t.markdown.find("| cannot open '…': No such file | 3 | babilong/qa1/0k:0 |"),
            std::string::npos);
  EXPECT_NE(t.csv.find("failed tasks,\"cannot open '…': No such file\",tasks,3"),
            std::string::npos);
  Result<Json> json = parse_json(t.json, "tables.json");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["failed_tasks"]["total"], 4);
  EXPECT_EQ((*json)["failed_tasks"]["causes"][1]["tasks"], 1);
  RenderedTables clean = render_tables({});
  EXPECT_EQ(clean.markdown.find("Failed tasks"), std::string::npos);
}

}  // namespace
}  // namespace hkv::results
