// Head detection results -> score files. Each stored test carries every head's score and whether
// it was kept; the score file holds, per head, the kept tests' scores in the order `headkv heads
// detect` runs them (needle, then length, then depth), so a sweep over the same grid writes the
// same file byte for byte.
#include <algorithm>
#include <map>

#include "common/strings.h"
#include "head_scores/budget.h"
#include "head_scores/score_file.h"
#include "results/head_heatmap.h"
#include "results/result_tables.h"

namespace hkv::results {
namespace {

struct KeyedTest {
  jobs::HeadsTestKey key;
  const ResultRecord* record;
};

struct KindSummary {
  int32_t tests = 0;
  int32_t kept = 0;
  double score_sum = 0.0;
  std::string outcome;  // the score file name, or why there is none
};

// The score table of one kind's kept tests, or an error naming what is inconsistent.
Result<head_scores::HeadScoreTable> kind_table(const std::string& kind,
                                               std::vector<KeyedTest>& tests) {
  std::sort(tests.begin(), tests.end(),
            [](const KeyedTest& a, const KeyedTest& b) { return a.key < b.key; });
  const jobs::HeadTestScores& first = *tests.front().record->head_scores;
  std::vector<std::vector<double>> lists(first.scores.size());
  for (size_t t = 0; t < tests.size(); ++t) {
    const jobs::HeadTestScores& s = *tests[t].record->head_scores;
    if (t > 0 && tests[t].key == tests[t - 1].key) {
      return errorf(StatusCode::kInvalidArgument, "%s test %s is reported twice", kind.c_str(),
                    tests[t].record->sample_key.c_str());
    }
    if (s.num_layers != first.num_layers || s.num_heads != first.num_heads) {
      return errorf(StatusCode::kInvalidArgument,
                    "%s test %s has %d layers x %d heads, test %s %d x %d: one model per kind",
                    kind.c_str(), tests[t].record->sample_key.c_str(), s.num_layers, s.num_heads,
                    tests.front().record->sample_key.c_str(), first.num_layers, first.num_heads);
    }
    if (!s.kept) {
      continue;
    }
    for (size_t i = 0; i < lists.size(); ++i) {
      lists[i].push_back(s.scores[i]);
    }
  }
  if (lists.empty() || lists[0].empty()) {
    return errorf(StatusCode::kFailedPrecondition, "no %s test was kept: no score file",
                  kind.c_str());
  }
  return head_scores::make_score_table(first.num_layers, first.num_heads, std::move(lists));
}

}  // namespace

void render_head_scores(const std::vector<ResultRecord>& records, RenderedTables* out, Json* json) {
  std::map<std::string, std::vector<KeyedTest>> by_kind;
  std::map<std::string, KindSummary> summary;
  for (const ResultRecord& r : records) {
    if (r.benchmark != "heads") {
      continue;
    }
    KindSummary& k = summary[r.dataset];
    auto key = jobs::parse_heads_test_key(r.sample_key);
    if (!r.head_scores || !key.ok()) {
      k.outcome = "malformed result " + r.sample_key + ": " +
                  (key.ok() ? std::string("no head scores") : key.status().message());
      continue;
    }
    ++k.tests;
    k.kept += r.head_scores->kept ? 1 : 0;
    k.score_sum += r.score;
    by_kind[r.dataset].push_back({*key, &r});
  }
  if (summary.empty()) {
    return;
  }
  for (auto& [kind, tests] : by_kind) {
    KindSummary& k = summary[kind];
    if (!k.outcome.empty()) {
      continue;  // a malformed row: no file from partial data
    }
    auto table = kind_table(kind, tests);
    if (!table.ok()) {
      k.outcome = table.status().message();
      continue;
    }
    std::string name = "heads_" + kind + ".json";
    out->files.emplace_back(name, head_scores::format_score_json(*table));
    auto p = head_scores::normalized_scores(table->means, 1.0);
    if (p.ok()) {
      out->files.emplace_back("heads_" + kind + ".svg",
                              head_heatmap_svg(*table, *p, kind + " heads (sweep)"));
    }
    k.outcome =
        strformat("%s (%d layers x %d heads)", name.c_str(), table->num_layers, table->num_heads);
  }
  out->markdown +=
      "\n### Head detection\n\n| kind | tests | kept | mean success score | score file |\n"
      "|---|---|---|---|---|\n";
  for (const auto& [kind, k] : summary) {
    double mean = k.tests > 0 ? k.score_sum / k.tests : 0.0;
    out->markdown += strformat("| %s | %d | %d | %.2f | %s |\n", kind.c_str(), k.tests, k.kept,
                               mean, k.outcome.c_str());
    out->csv += strformat("Head detection,%s,tests,%d\nHead detection,%s,kept,%d\n", kind.c_str(),
                          k.tests, kind.c_str(), k.kept);
    (*json)["Head detection"][kind] = {
        {"tests", k.tests}, {"kept", k.kept}, {"mean_success_score", mean}, {"file", k.outcome}};
  }
}

}  // namespace hkv::results
