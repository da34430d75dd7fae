// LongBench's matching metrics (classification, retrieval, count, code similarity) and the
// per-example scorer that dispatches on the metric. Substring tests on UTF-8 bytes equal Python's
// code-point `in`, since UTF-8 is self-synchronising.
#include <algorithm>

#include "metrics/levenshtein.h"
#include "metrics/metrics.h"
#include "metrics/py_unicode.h"

namespace hkv::jobs {
namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// re.findall(r"\d+", text), \d being Unicode Nd.
std::vector<std::u32string> decimal_runs(std::u32string_view text) {
  std::vector<std::u32string> runs;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && py_isdecimal(text[i])) {
      ++i;
    }
    if (i > start) {
      runs.emplace_back(text.substr(start, i - start));
    } else {
      ++i;
    }
  }
  return runs;
}

// The fraction of \d+ runs in `prediction` equal to `expected`; 0.0 without runs.
double fraction_equal(std::string_view prediction, std::u32string_view expected) {
  std::vector<std::u32string> numbers = decimal_runs(utf8_decode(prediction));
  if (numbers.empty()) {
    return 0.0;
  }
  auto right = std::count(numbers.begin(), numbers.end(), expected);
  return static_cast<double>(right) / static_cast<double>(numbers.size());
}

// The group of the first match of re.search(prefix + r"(\d+)", text).
Result<std::u32string> first_numbered(std::string_view text, std::u32string_view prefix) {
  std::u32string s = utf8_decode(text);
  for (size_t at = s.find(prefix); at != std::u32string::npos; at = s.find(prefix, at + 1)) {
    size_t end = at + prefix.size();
    while (end < s.size() && py_isdecimal(s[end])) {
      ++end;
    }
    if (end > at + prefix.size()) {
      return s.substr(at + prefix.size(), end - at - prefix.size());
    }
  }
  return errorf(StatusCode::kInvalidArgument,
                "ground truth has no '%s<number>' (the reference raises IndexError): '%.80s'",
                utf8_encode(prefix).c_str(), std::string(text).c_str());
}

}  // namespace

double classification_score(std::string_view prediction,
                            std::string_view ground_truth,
                            std::span<const std::string> all_classes) {
  std::vector<std::string_view> matches;
  for (const std::string& name : all_classes) {
    if (contains(prediction, name)) {
      matches.push_back(name);
    }
  }
  // `for match_term in em_match_list: ... em_match_list.remove(match_term)`: Python's list
  // iterator walks an index, and remove() deletes the first equal element, so the element that
  // slides into the current slot is skipped.
  for (size_t index = 0; index < matches.size();) {
    std::string_view term = matches[index++];
    if (contains(ground_truth, term) && term != ground_truth) {
      matches.erase(std::find(matches.begin(), matches.end(), term));
    }
  }
  if (std::find(matches.begin(), matches.end(), ground_truth) == matches.end()) {
    return 0.0;
  }
  return 1.0 / static_cast<double>(matches.size());
}

Result<double> retrieval_score(std::string_view prediction, std::string_view ground_truth) {
  HKV_ASSIGN_OR_RETURN(std::u32string id, first_numbered(ground_truth, U"Paragraph "));
  return fraction_equal(prediction, id);
}

Result<double> retrieval_zh_score(std::string_view prediction, std::string_view ground_truth) {
  HKV_ASSIGN_OR_RETURN(std::u32string id, first_numbered(ground_truth, U"\u6bb5\u843d"));
  return fraction_equal(prediction, id);
}

double count_score(std::string_view prediction, std::string_view ground_truth) {
  return fraction_equal(prediction, utf8_decode(ground_truth));
}

double code_sim_score(std::string_view prediction, std::string_view ground_truth) {
  std::string_view rest =
      prediction.substr(std::min(prediction.find_first_not_of('\n'), prediction.size()));
  std::string_view chosen;
  while (true) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    if (!contains(line, "`") && !contains(line, "#") && !contains(line, "//")) {
      chosen = line;
      break;
    }
    if (newline == std::string_view::npos) {
      break;
    }
    rest = rest.substr(newline + 1);
  }
  return fuzz_ratio(chosen, ground_truth) / 100.0;
}

std::string_view longbench_first_line(std::string_view prediction) {
  std::string_view rest =
      prediction.substr(std::min(prediction.find_first_not_of('\n'), prediction.size()));
  return rest.substr(0, rest.find('\n'));
}

namespace {

struct MetricName {
  LongBenchMetric metric;
  const char* name;
};

constexpr MetricName kMetricNames[] = {
    {LongBenchMetric::kQaF1, "qa_f1_score"},
    {LongBenchMetric::kQaF1Zh, "qa_f1_zh_score"},
    {LongBenchMetric::kRouge, "rouge_score"},
    {LongBenchMetric::kRougeZh, "rouge_zh_score"},
    {LongBenchMetric::kClassification, "classification_score"},
    {LongBenchMetric::kRetrieval, "retrieval_score"},
    {LongBenchMetric::kRetrievalZh, "retrieval_zh_score"},
    {LongBenchMetric::kCount, "count_score"},
    {LongBenchMetric::kCodeSim, "code_sim_score"},
};

}  // namespace

Result<LongBenchMetric> parse_longbench_metric(std::string_view name) {
  for (const MetricName& entry : kMetricNames) {
    if (name == entry.name) {
      return entry.metric;
    }
  }
  return errorf(StatusCode::kInvalidArgument, "unknown LongBench metric '%.*s'",
                static_cast<int>(name.size()), name.data());
}

const char* longbench_metric_name(LongBenchMetric metric) {
  for (const MetricName& entry : kMetricNames) {
    if (metric == entry.metric) {
      return entry.name;
    }
  }
  return "unknown";
}

Result<double> longbench_metric_score(LongBenchMetric metric,
                                      std::string_view prediction,
                                      std::string_view ground_truth,
                                      std::span<const std::string> all_classes) {
  switch (metric) {
    case LongBenchMetric::kQaF1:
      return qa_f1_score(prediction, ground_truth);
    case LongBenchMetric::kQaF1Zh:
      return qa_f1_zh_score(prediction, ground_truth);
    case LongBenchMetric::kRouge:
      return rouge_score(prediction, ground_truth);
    case LongBenchMetric::kRougeZh:
      return rouge_zh_score(prediction, ground_truth);
    case LongBenchMetric::kClassification:
      return classification_score(prediction, ground_truth, all_classes);
    case LongBenchMetric::kRetrieval:
      return retrieval_score(prediction, ground_truth);
    case LongBenchMetric::kRetrievalZh:
      return retrieval_zh_score(prediction, ground_truth);
    case LongBenchMetric::kCount:
      return count_score(prediction, ground_truth);
    case LongBenchMetric::kCodeSim:
      return code_sim_score(prediction, ground_truth);
  }
  return errorf(StatusCode::kInvalidArgument, "LongBench metric %d out of range",
                static_cast<int>(metric));
}

Result<double> longbench_example_score(LongBenchMetric metric,
                                       std::string_view prediction,
                                       std::span<const std::string> answers,
                                       std::span<const std::string> all_classes) {
  double score = 0.0;
  for (const std::string& answer : answers) {
    HKV_ASSIGN_OR_RETURN(double value,
                         longbench_metric_score(metric, prediction, answer, all_classes));
    score = std::max(score, value);  // max(score, value) keeps `score` on ties, as Python's
  }
  return score;
}

}  // namespace hkv::jobs
