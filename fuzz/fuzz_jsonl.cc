// libFuzzer harness: bytes -> jobs::parse_jsonl, then the LongBench and BABILong record readers
// (path API: the bytes are written to a temp file) and the prompt formatting they feed, plus
// Python str.format templates taken from the text. Rejected input must come back as a Status.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/babilong.h"
#include "benchmarks/dataset.h"
#include "benchmarks/jsonl.h"
#include "benchmarks/longbench.h"
#include "common/utf8.h"
#include "fuzz/temp_dir.h"
#include "fuzz/verbose.h"

namespace {

[[noreturn]] void invariant_failed(const char* what) {
  std::fprintf(stderr, "fuzz_jsonl: invariant failed: %s\n", what);
  std::abort();
}

// parse_jsonl with a record limit must return the first records of the unlimited parse.
void check_limited(std::string_view text, const std::vector<hkv::jobs::JsonlRecord>& all) {
  constexpr size_t kLimit = 2;
  hkv::Result<std::vector<hkv::jobs::JsonlRecord>> some =
      hkv::jobs::parse_jsonl(text, "fuzz.jsonl", kLimit);
  if (!some.ok()) {
    invariant_failed("parse_jsonl fails with a limit where it succeeds without one");
  }
  if (some->size() != std::min(all.size(), kLimit)) {
    invariant_failed("parse_jsonl with a limit returned the wrong number of records");
  }
  for (size_t i = 0; i < some->size(); ++i) {
    if ((*some)[i].line != all[i].line || (*some)[i].value != all[i].value) {
      invariant_failed("parse_jsonl with a limit returned different records");
    }
  }
}

void read_longbench(const std::string& path) {
  auto records = hkv::jobs::read_longbench_jsonl(path);
  hkv::fuzz::log_status("read_longbench_jsonl", records.status());
  if (!records.ok()) {
    return;
  }
  const auto& tasks = hkv::jobs::longbench_builtin_tasks();
  for (const auto& record : *records) {
    // Two templates: one over input/context (qasper-like) and the last (a LooGLE task).
    (void)hkv::jobs::format_longbench_prompt(tasks.front(), record);
    (void)hkv::jobs::format_longbench_prompt(tasks.back(), record);
  }
}

void read_babilong(const std::string& path) {
  auto records = hkv::jobs::read_babilong_jsonl(path);
  hkv::fuzz::log_status("read_babilong_jsonl", records.status());
  if (!records.ok()) {
    return;
  }
  for (const auto& record : *records) {
    (void)hkv::python_strip(record.input);
    (void)hkv::jobs::format_babilong_text("qa1", record);
    (void)hkv::jobs::format_babilong_text("qa2", record);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  [[maybe_unused]] static const bool quiet = hkv::fuzz::quiet_logs();
  static const hkv::fuzz::TempDir dir("jsonl");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto records = hkv::jobs::parse_jsonl(text, "fuzz.jsonl", hkv::jobs::kAllSamples);
  hkv::fuzz::log_status("parse_jsonl", records.status());
  if (records.ok()) {
    check_limited(text, *records);
  }
  // The first line doubles as a str.format template over two fields.
  std::string_view first_line = text.substr(0, text.find('\n'));
  (void)hkv::jobs::format_python_template(first_line, {{"input", "I"}, {"context", "{C}"}});
  if (!records.ok()) {
    return 0;
  }
  const std::string path = dir.write("data.jsonl", data, size);
  read_longbench(path);
  read_babilong(path);
  return 0;
}
