// Aggregation as the reference scripts do it: LongBench's round(100 * mean, 2) with Python's
// round (half to even on the exact binary value) and BABILong's per-split percentage.
#include <cstdio>
#include <cstdlib>

#include "common/strings.h"
#include "metrics/metrics.h"

namespace hkv::jobs {

double python_round(double x, int ndigits) {
  HKV_CHECK(ndigits >= 0 && ndigits <= 100)
      << "python_round: ndigits " << ndigits << " outside [0, 100]";
  // CPython's float.__round__ formats with _Py_dg_dtoa mode 3 (correctly rounded, ties to even on
  // the exact value) and parses back; glibc's printf is exact with the same tie rule, and strtod
  // is correctly rounded, so the two agree for every finite x (inf and nan pass through).
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), "%.*f", ndigits, x);
  return std::strtod(buffer, nullptr);
}

Result<double> longbench_dataset_score(std::span<const double> example_scores) {
  if (example_scores.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "LongBench dataset score of zero examples (eval.py divides by zero)");
  }
  double total = 0.0;
  for (double score : example_scores) {
    total += score;
  }
  return python_round(100 * total / static_cast<double>(example_scores.size()), 2);
}

Result<double> babilong_split_score(std::span<const bool> correct) {
  if (correct.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "BABILong split score of zero examples (eval_babilong.py divides by zero)");
  }
  int64_t num_correct = 0;
  for (bool c : correct) {
    num_correct += c ? 1 : 0;
  }
  // 100 * sum(bools) is an int in Python; int / int is correctly rounded, as here.
  return static_cast<double>(100 * num_correct) / static_cast<double>(correct.size());
}

std::string format_score_cell(double score) {
  return strformat("%.2f", score);
}

}  // namespace hkv::jobs
