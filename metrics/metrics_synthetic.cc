// Scores of the synthetic benchmarks: the needle heatmap and runner scores (§7.3) and BABILong's
// compare_answers (§8, babilong's metrics.py as used by eval_babilong.py).
#include <algorithm>
#include <set>

#include "common/strings.h"
#include "metrics/metrics.h"
#include "metrics/py_unicode.h"
#include "metrics/rouge.h"

namespace hkv::jobs {
namespace {

// "eat a sandwich and sit in Dolores Park on a sunny day.".lower().split(), as a set.
const std::set<std::string>& needle_expected_words() {
  static const std::set<std::string> kWords = {"eat",     "a",    "sandwich", "and",   "sit", "in",
                                               "dolores", "park", "on",       "sunny", "day."};
  return kWords;
}

// Text before the first occurrence of `sep` (str.split(sep)[0]).
std::string_view before(std::string_view text, std::string_view sep) {
  return text.substr(0, text.find(sep));
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

double needle_heatmap_score(std::string_view response) {
  const std::set<std::string>& expected = needle_expected_words();
  std::set<std::string> found;
  for (std::string& word : py_split(py_lower(response))) {
    if (expected.count(word) > 0) {
      found.insert(std::move(word));
    }
  }
  return static_cast<double>(found.size()) / static_cast<double>(expected.size());
}

double needle_runner_score(std::string_view needle, std::string_view response) {
  return google_rouge1(needle, response).fmeasure * 10;
}

Result<std::vector<std::string>> babilong_task_labels(std::string_view task) {
  if (task == "qa1" || task == "qa2" || task == "qa3" || task == "qa4") {
    return std::vector<std::string>{"bathroom", "bedroom", "garden",
                                    "hallway",  "kitchen", "office"};
  }
  if (task == "qa5") {
    return std::vector<std::string>{"Bill", "Fred", "Jeff", "Mary", "apple", "football", "milk"};
  }
  return errorf(StatusCode::kNotFound, "no BABILong task labels for '%.*s' (known: qa1..qa5)",
                static_cast<int>(task.size()), task.data());
}

bool babilong_compare_answers(std::string_view target,
                              std::string_view output,
                              std::string_view question,
                              std::span<const std::string> task_labels) {
  std::string lowered_output = py_lower(output);
  std::string_view out = before(lowered_output, ".");
  out = before(out, "<context>");
  out = before(out, "<example>");
  out = before(out, "Question");  // dead: `out` is lower-case already (kept as the reference)
  std::string lowered_target = py_lower(target);
  std::string lowered_question = py_lower(question);

  std::set<std::string> labels;
  for (const std::string& label : task_labels) {
    labels.insert(py_lower(label));
  }
  std::set<std::string> in_output;
  for (const std::string& label : labels) {
    if (contains(out, label) && !contains(lowered_question, label)) {
      in_output.insert(label);
    }
  }
  if (contains(lowered_target, ",") && py_len(lowered_target) > 3) {
    std::vector<std::string> subtargets = split(lowered_target, ',');
    bool all_found = std::all_of(subtargets.begin(), subtargets.end(),
                                 [&](const std::string& t) { return in_output.count(t) > 0; });
    return all_found && in_output.size() == subtargets.size();
  }
  return in_output.size() == 1 && in_output.count(lowered_target) > 0;
}

}  // namespace hkv::jobs
