// Grouping is textual: the coordinator stores each task's last error as the worker reported it.
#include "results/failure_summary.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/strings.h"

namespace hkv::results {
namespace {

std::string task_name(const FailedTask& t) {
  return t.benchmark + "/" + t.dataset + "/" + t.sample_key;
}

// Markdown table cells: no pipes or newlines.
std::string md_cell(std::string s) {
  for (char& c : s) {
    if (c == '|') {
      c = '/';
    }
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return s;
}

std::string csv_cell(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
  }
  return out + "\"";
}

}  // namespace

std::string failure_cause(const std::string& error) {
  std::string out;
  for (size_t i = 0; i < error.size() && out.size() < 200; ++i) {
    const char c = error[i];
    if (c == '\'') {
      size_t close = error.find('\'', i + 1);
      if (close != std::string::npos) {
        out += "'…'";
        i = close;
        continue;
      }
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i + 1 < error.size() && std::isdigit(static_cast<unsigned char>(error[i + 1]))) {
        ++i;
      }
      out += 'N';
      continue;
    }
    out += c == '\n' ? ' ' : c;
  }
  return out.empty() ? "(no error message)" : out;
}

std::vector<FailureCause> group_failures(const std::vector<FailedTask>& failed) {
  std::vector<FailureCause> causes;
  std::map<std::string, size_t> index;
  for (const FailedTask& t : failed) {
    const std::string cause = failure_cause(t.error);
    auto [it, added] = index.emplace(cause, causes.size());
    if (added) {
      causes.push_back({cause, 0, task_name(t), t.error});
    }
    ++causes[it->second].tasks;
  }
  std::stable_sort(causes.begin(), causes.end(),
                   [](const FailureCause& a, const FailureCause& b) { return a.tasks > b.tasks; });
  return causes;
}

std::string failure_summary_text(const std::vector<FailedTask>& failed) {
  if (failed.empty()) {
    return "";
  }
  const std::vector<FailureCause> causes = group_failures(failed);
  std::string text = strformat("%zu task(s) failed, %zu cause(s):\n", failed.size(), causes.size());
  for (const FailureCause& c : causes) {
    text += strformat("  %lld x %s\n      first: %s: %s\n", static_cast<long long>(c.tasks),
                      c.cause.c_str(), c.first_task.c_str(), c.first_error.c_str());
  }
  return text;
}

void render_failures(const std::vector<FailedTask>& failed,
                     std::string* markdown,
                     std::string* csv,
                     Json* json) {
  if (failed.empty()) {
    return;
  }
  const std::vector<FailureCause> causes = group_failures(failed);
  *markdown += strformat(
      "\n### Failed tasks\n\n**%zu task(s) failed**; the tables above leave them out.\n\n"
      "| cause | tasks | first task | first error |\n|---|---|---|---|\n",
      failed.size());
  Json list = Json::array();
  for (const FailureCause& c : causes) {
    *markdown += strformat("| %s | %lld | %s | %s |\n", md_cell(c.cause).c_str(),
                           static_cast<long long>(c.tasks), md_cell(c.first_task).c_str(),
                           md_cell(c.first_error).c_str());
    *csv += "failed tasks," + csv_cell(c.cause) + ",tasks," + std::to_string(c.tasks) + "\n";
    list.push_back({{"cause", c.cause},
                    {"tasks", c.tasks},
                    {"first_task", c.first_task},
                    {"first_error", c.first_error}});
  }
  (*json)["failed_tasks"] = {{"total", failed.size()}, {"causes", std::move(list)}};
}

}  // namespace hkv::results
