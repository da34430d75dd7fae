// Failed tasks, grouped by cause: what `headkv run` prints when a sweep ends with failures and what
// `headkv results` writes into tables.md / .csv / .json, so a failed task is never silently left
// out of the tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"

namespace hkv::results {

struct FailedTask {
  std::string benchmark;
  std::string dataset;
  std::string sample_key;
  std::string error;  // the last attempt's error
  int32_t attempts = 0;
};

struct FailureCause {
  std::string cause;  // the error with quoted names and numbers masked
  int64_t tasks = 0;
  std::string first_task;   // "benchmark/dataset/sample_key"
  std::string first_error;  // its error, verbatim
};

// The error with every quoted '…' span and digit run masked, so errors that differ only in the
// file or sample they name share a cause. At most 200 characters.
std::string failure_cause(const std::string& error);
// Causes by descending task count, then first appearance.
std::vector<FailureCause> group_failures(const std::vector<FailedTask>& failed);

// Plain-text summary for a terminal: a headline and one line per cause.
std::string failure_summary_text(const std::vector<FailedTask>& failed);
// Appends the "Failed tasks" table to `markdown`, rows to `csv` ("failed tasks,<cause>,tasks,<n>")
// and `json["failed_tasks"]` = {total, causes: [{cause, tasks, first_task, first_error}]}.
void render_failures(const std::vector<FailedTask>& failed,
                     std::string* markdown,
                     std::string* csv,
                     Json* json);

}  // namespace hkv::results
