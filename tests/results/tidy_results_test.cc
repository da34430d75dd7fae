// Tidy results and the paper's row order: every table cell is one tidy row with the same value,
// every run parameter in its own column, and tables list configs as the paper does (FullKV,
// SnapKV, PyramidKV, Ada-SnapKV, HeadKV-R, HeadKV-R2, then budget and beta), not alphabetically.
#include "results/tidy_results.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "common/strings.h"

namespace hkv::results {
namespace {

using compression::CompressionConfig;
using compression::Method;

CompressionConfig config(Method m, int32_t budget = 128, double beta = 1.01) {
  CompressionConfig c;
  c.method = m;
  c.budget = budget;
  c.beta = beta;
  if (m == Method::kHeadKvR2) {
    c.head_scores = "reasoning";
  }
  return c;
}

ResultRecord record(const CompressionConfig& c,
                    const std::string& benchmark,
                    const std::string& dataset,
                    const std::string& key,
                    double score,
                    const std::string& prediction = "x") {
  ResultRecord r;
  r.benchmark = benchmark;
  r.dataset = dataset;
  r.sample_key = key;
  r.config = c.label();
  r.cfg = c;
  r.prediction = prediction;
  r.score = score;
  r.cache_bytes = 1 << 20;
  r.prompt_tokens = 1000;
  r.new_tokens = 10;
  r.prefill_ms = 20.0;
  r.decode_ms = 50.0;
  return r;
}

std::vector<ResultRecord> sweep() {
  std::vector<ResultRecord> out;
  const std::vector<CompressionConfig> configs = {
      config(Method::kHeadKvR2, 128, 1.2),  config(Method::kSnapKv, 128),
      config(Method::kHeadKvR2, 128, 1.01), config(Method::kFullKv),
      config(Method::kSnapKv, 64),          config(Method::kAdaSnapKv, 128)};
  for (size_t i = 0; i < configs.size(); ++i) {
    const double s = 0.1 * static_cast<double>(i);
    out.push_back(record(configs[i], "longbench", "qasper", "0", s));
    out.push_back(record(configs[i], "longbench", "qasper", "1", 1.0 - s / 3));
    out.push_back(record(configs[i], "babilong", "qa1", "0k:0", 1.0));
    out.push_back(record(configs[i], "babilong", "qa1", "0k:1", i % 2 ? 1.0 : 0.0));
    out.push_back(record(configs[i], "needle", "needle", "1000:50", 7.5, "eat a sandwich"));
  }
  return out;
}

// The first column of the markdown table titled `title`, in order.
std::vector<std::string> table_rows(const std::string& markdown, const std::string& title) {
  std::vector<std::string> rows;
  size_t at = markdown.find("### " + title);
  EXPECT_NE(at, std::string::npos) << title;
  std::vector<std::string> lines = split(markdown.substr(at), '\n');
  for (size_t i = 4; i < lines.size() && !lines[i].empty() && lines[i][0] == '|'; ++i) {
    rows.push_back(std::string(trim(lines[i].substr(1, lines[i].find('|', 1) - 1))));
  }
  return rows;
}

TEST(TidyResultsTest, TablesListConfigsInThePapersOrderWithCostColumns) {
  RenderedTables t = render_tables(sweep());
  const std::vector<std::string> want = {"FullKV",
                                         "SnapKV B=64 reference",
                                         "SnapKV B=128 reference",
                                         "Ada-SnapKV B=128 reference",
                                         "HeadKV-R2 B=128 beta=1.01 reference",
                                         "HeadKV-R2 B=128 beta=1.2 reference"};
  EXPECT_EQ(table_rows(t.markdown, "LongBench"), want);
  EXPECT_EQ(table_rows(t.markdown, "BABILong"), want);
  EXPECT_NE(t.markdown.find("| Avg. | cache MiB/sample | batch decode ms/step |"),
            std::string::npos);
  // 1 MiB per sample, 50 ms of decode over 10 steps.
  EXPECT_NE(t.markdown.find("| 1.00 | 5.00 |"), std::string::npos) << t.markdown;
}

TEST(TidyResultsTest, EveryTableCellIsOneTidyRowWithTheSameValue) {
  std::vector<ResultRecord> records = sweep();
  RenderedTables t = render_tables(records);
  TidyResults tidy = render_tidy(records, {7, "paper", "/models/m.gguf"});
  std::vector<std::string> lines = split(tidy.csv, '\n');
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(split(lines[0], ','), tidy_columns());
  // 6 configs x (1 LongBench cell + 1 BABILong split + 1 needle cell x 2 metrics).
  std::vector<Json> rows;
  for (const std::string& line : split(tidy.jsonl, '\n')) {
    if (!line.empty()) {
      rows.push_back(*parse_json(line, "tidy"));
    }
  }
  ASSERT_EQ(rows.size(), 24u);
  EXPECT_EQ(lines.size(), 26u);  // header, 24 rows, the final newline's empty piece
  // Table cells from tables.csv: table,config,column,score.
  std::map<std::string, std::string> cells;
  for (const std::string& line : split(t.csv, '\n')) {
    std::vector<std::string> f = split(line, ',');
    if (f.size() == 4) {
      cells[f[0] + "|" + f[1] + "|" + f[2]] = f[3];
    }
  }
  int matched = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Json& r = rows[i];
    EXPECT_EQ(r["sweep"], 7);
    EXPECT_EQ(r["model"], "/models/m.gguf");
    EXPECT_EQ(r["mean_cache_bytes"], 1 << 20);
    EXPECT_EQ(r["batch_decode_ms_per_step"], 5.0);
    std::vector<std::string> csv = split(lines[i + 1], ',');
    ASSERT_EQ(csv.size(), tidy_columns().size());
    const std::string score = csv[19];
    if (r["benchmark"] == "longbench") {
      EXPECT_EQ(r["metric"], "qa_f1_score");
      EXPECT_EQ(r["samples"], 2);
      EXPECT_EQ(score, cells.at("LongBench|" + r["config"].get<std::string>() + "|qasper"));
      ++matched;
    } else if (r["benchmark"] == "babilong") {
      EXPECT_EQ(r["split"], "0k");
      EXPECT_EQ(score, cells.at("BABILong|" + r["config"].get<std::string>() + "|qa1/0k"));
      ++matched;
    } else {
      EXPECT_EQ(r["length"], 1000);
      EXPECT_EQ(r["depth"], 50);
    }
  }
  EXPECT_EQ(matched, 12);
  // Parameters a method does not use are empty; the ones it uses are set.
  EXPECT_TRUE(rows[0]["budget"].is_null());  // FullKV first
  EXPECT_EQ(rows[0]["method"], "FullKV");
  const Json& last = rows.back();
  EXPECT_EQ(last["method"], "HeadKV-R2");
  EXPECT_EQ(last["beta"], 1.2);
  EXPECT_EQ(last["budget"], 128);
  EXPECT_EQ(last["head_scores"], "reasoning");
}

}  // namespace
}  // namespace hkv::results
