// Benchmark metrics as pure functions, each a port of the Python the reference evaluates with
// (ALGORITHMS.md §6.3, §7.3, §8): LongBench's metrics.py, the needle scores, BABILong's
// compare_answers, and LongBench's aggregation. Text is UTF-8 and handled with Python 3.11 str
// semantics (metrics/py_unicode.h); results match the Python to the last bit
// (tests/golden/metrics.json, tools/reference/make_metric_goldens.py).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hkv::jobs {

// ---- LongBench metrics.py (metrics_text.cc, metrics_match.cc) ----

// normalize_answer: lower(); drop ASCII string.punctuation; \b(a|an|the)\b -> " " with `re`'s
// Unicode word boundaries; " ".join(split()).
std::string normalize_answer(std::string_view s);

// f1_score over token lists: Counter intersection; 0 when nothing is shared, else 2PR/(P+R).
double token_f1(std::span<const std::string> prediction, std::span<const std::string> ground_truth);

// qa_f1_score: token_f1 of the normalize_answer()ed, split() strings.
double qa_f1_score(std::string_view prediction, std::string_view ground_truth);

// rouge_score: pltrdy Rouge ROUGE-L F (metrics/rouge.h), 0.0 where the package raises.
double rouge_score(std::string_view prediction, std::string_view ground_truth);

// classification_score, including the reference's bug: matches that are proper substrings of
// the ground truth are removed from the list while iterating over it, so the element after each
// removed one is not examined.
double classification_score(std::string_view prediction,
                            std::string_view ground_truth,
                            std::span<const std::string> all_classes);

// retrieval_score: the fraction of \d+ runs in the prediction equal (as strings) to the number in
// the first "Paragraph (\d+)" of the ground truth; 0 without runs. InvalidArgument when the ground
// truth has no such paragraph (Python raises IndexError). \d is Unicode Nd, as in `re`.
Result<double> retrieval_score(std::string_view prediction, std::string_view ground_truth);
// retrieval_zh_score: the same with the pattern "段落(\d+)".
Result<double> retrieval_zh_score(std::string_view prediction, std::string_view ground_truth);

// count_score: the fraction of \d+ runs in the prediction equal to the ground-truth string.
double count_score(std::string_view prediction, std::string_view ground_truth);

// code_sim_score: the first line of prediction.lstrip("\n") containing none of "`", "#", "//"
// (or ""), then fuzz.ratio(line, ground_truth) / 100 (metrics/levenshtein.h).
double code_sim_score(std::string_view prediction, std::string_view ground_truth);

// Word segmentation for the Chinese metrics, standing in for jieba.cut(text, cut_all=False).
class WordSegmenter {
 public:
  virtual ~WordSegmenter() = default;
  virtual Result<std::vector<std::string>> cut(std::string_view text) const = 0;
};

// The reference segmenter, jieba 0.42.1 (dictionary + HMM), re-implemented in metrics/jieba.h with
// token-for-token identical output (tests/golden/metrics.json, section "jieba"). Its data is read
// from python3-jieba's files (or $HEADKV_JIEBA_DIR) on the first cut(), once for the process and
// thread-safely. When they are missing, every cut() returns FailedPrecondition naming the missing
// file, so the zh metrics below fail loudly instead of producing a score that differs from the
// reference.
const WordSegmenter& jieba_segmenter();

// normalize_zh_answer: lower(); drop ASCII and LongBench's CJK punctuation; drop all whitespace.
std::string normalize_zh_answer(std::string_view s);

// qa_f1_zh_score: segment both, normalize_zh_answer each token, drop empty ones, token_f1.
Result<double> qa_f1_zh_score(std::string_view prediction,
                              std::string_view ground_truth,
                              const WordSegmenter& segmenter = jieba_segmenter());

// rouge_zh_score: rouge_score of the space-joined segmentations. It sits one Python frame deeper
// than rouge_score, so its RecursionError threshold is one read-out step lower.
Result<double> rouge_zh_score(std::string_view prediction,
                              std::string_view ground_truth,
                              const WordSegmenter& segmenter = jieba_segmenter());

enum class LongBenchMetric {
  kQaF1,
  kQaF1Zh,
  kRouge,
  kRougeZh,
  kClassification,
  kRetrieval,
  kRetrievalZh,
  kCount,
  kCodeSim,
};

// "qa_f1_score", "rouge_score", ... (the metrics.py function names) <-> enum.
Result<LongBenchMetric> parse_longbench_metric(std::string_view name);
const char* longbench_metric_name(LongBenchMetric metric);

// One metric call, metric(prediction, ground_truth, all_classes=all_classes).
Result<double> longbench_metric_score(LongBenchMetric metric,
                                      std::string_view prediction,
                                      std::string_view ground_truth,
                                      std::span<const std::string> all_classes = {});

// eval.py's per-example score: max over the answers, starting from 0.0. The caller applies
// longbench_first_line() first for the datasets that need it (trec, triviaqa, samsum, lsht).
Result<double> longbench_example_score(LongBenchMetric metric,
                                       std::string_view prediction,
                                       std::span<const std::string> answers,
                                       std::span<const std::string> all_classes = {});

// prediction.lstrip("\n").split("\n")[0].
std::string_view longbench_first_line(std::string_view prediction);

// ---- Needle in a haystack, §7.3 (metrics_synthetic.cc) ----

// Heatmap score of run_needle_visulize.py: |set(response.lower().split()) ∩ E| / |E| with
// E = set("eat a sandwich and sit in dolores park on a sunny day.".split()) (11 words, "day."
// keeps its period). In [0, 1].
double needle_heatmap_score(std::string_view response);

// The runner's printed score: rouge-score ROUGE-1 F of the response against the needle, × 10.
double needle_runner_score(std::string_view needle, std::string_view response);

// ---- BABILong, §8 (metrics_synthetic.cc) ----

// TASK_LABELS for qa1..qa5 as written in the reference (qa5 keeps "Bill", "Fred", ... in
// upper case; compare_answers lower-cases them). NotFound for other tasks.
Result<std::vector<std::string>> babilong_task_labels(std::string_view task);

// compare_answers(target, output, question, task_labels): the output is cut before the first
// ".", "<context>", "<example>" and "Question" (a no-op after lower-casing, kept as written);
// labels found (by substring) in the output but not in the question must be exactly the target,
// or, for a comma-separated target longer than 3 code points, exactly its parts.
bool babilong_compare_answers(std::string_view target,
                              std::string_view output,
                              std::string_view question,
                              std::span<const std::string> task_labels);

// ---- Aggregation (metrics_aggregate.cc) ----

// Python's round(x, ndigits) for ndigits >= 0: round half to even on the exact binary value,
// then the nearest double (the same as glibc printf "%.*f" followed by strtod). 0 <= ndigits <=
// 100.
double python_round(double x, int ndigits);

// eval.py's dataset score: round(100 * sum / N, 2) with the sum accumulated in order from 0.0.
// InvalidArgument for no examples (Python divides by zero).
Result<double> longbench_dataset_score(std::span<const double> example_scores);

// eval_babilong.py's split score: 100 * (number correct) / N. InvalidArgument for N == 0.
Result<double> babilong_split_score(std::span<const bool> correct);

// A table cell: the score with two decimals ("%.2f"), e.g. 32.3 -> "32.30". eval.py's missing
// dataset marker -1 prints as "-1.00"; callers that want "-1" handle missing data themselves.
std::string format_score_cell(double score);

}  // namespace hkv::jobs
