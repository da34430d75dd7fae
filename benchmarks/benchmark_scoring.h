// Which reference metric scores each benchmark dataset (LongBench eval.py's dataset2metric, plus
// the LooGLE tasks of ALGORITHMS.md §6.1), and the per-sample score as eval.py computes it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "metrics/metrics.h"

namespace hkv::jobs {

// NotFound naming the dataset when it is not a LongBench v1 or LooGLE task.
Result<LongBenchMetric> longbench_dataset_metric(std::string_view dataset);
// trec, triviaqa, samsum and lsht score only the prediction's first line.
bool longbench_uses_first_line(std::string_view dataset);
// eval.py's per-example score in [0, 1]: the max over the answers.
Result<double> score_longbench_prediction(std::string_view dataset,
                                          std::string_view prediction,
                                          std::span<const std::string> answers,
                                          std::span<const std::string> all_classes);

}  // namespace hkv::jobs
