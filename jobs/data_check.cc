// Groups the units by the file they read, then reads each file once with the benchmark's own
// parser, so a file that the workers would reject is rejected here first.
#include "jobs/data_check.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "benchmarks/babilong.h"
#include "benchmarks/jsonl.h"
#include "benchmarks/longbench.h"
#include "common/data_file.h"
#include "common/paths.h"
#include "common/strings.h"
#include "jobs/heads_spec.h"

namespace hkv::jobs {
namespace {

// "a:b" -> b as a non-negative index, or -1.
int64_t index_after_colon(const std::string& key) {
  size_t colon = key.rfind(':');
  const std::string tail = colon == std::string::npos ? key : key.substr(colon + 1);
  if (tail.empty() || tail.size() > 9 || !std::all_of(tail.begin(), tail.end(), ::isdigit)) {
    return -1;
  }
  return std::stoll(tail);
}

struct Need {
  Benchmark benchmark;
  std::string relative;   // relative data path, or an absolute folder for explicit heads roots
  bool absolute = false;  // `relative` is a folder outside the data path
  int64_t needed = 0;     // samples (max index + 1) or needles
};

void check_jsonl(const Need& need, const std::string& data_root, DataFileCheck* c) {
  Result<std::string> path = find_data_file(need.relative, data_root);
  if (!path.ok()) {
    c->problem = path.status().message();
    return;
  }
  c->path = *existing_data_file(*path);
  Result<int64_t> count = 0;
  if (need.benchmark == Benchmark::kLongBench) {
    auto records = read_longbench_jsonl(*path);
    count = records.ok() ? Result<int64_t>(static_cast<int64_t>(records->size()))
                         : Result<int64_t>(records.status());
  } else {
    auto records = read_babilong_jsonl(*path);
    count = records.ok() ? Result<int64_t>(static_cast<int64_t>(records->size()))
                         : Result<int64_t>(records.status());
  }
  if (!count.ok()) {
    c->problem = count.status().message();
    return;
  }
  c->available = *count;
  if (c->available < need.needed) {
    c->problem = strformat(
        "%s holds %lld samples, the sweep needs %lld (indices 0..%lld); the shipped files are "
        "slices: run `headkv data fetch %s` for the full dataset, or lower the block's `limit`",
        c->path.c_str(), static_cast<long long>(c->available), static_cast<long long>(need.needed),
        static_cast<long long>(need.needed - 1),
        need.benchmark == Benchmark::kLongBench ? "longbench" : "babilong");
  }
}

void check_folder(const Need& need, const std::string& data_root, DataFileCheck* c) {
  std::string dir = need.relative;
  if (!need.absolute) {
    Result<std::string> found = find_data_dir(need.relative, data_root);
    if (!found.ok()) {
      c->problem = found.status().message();
      return;
    }
    dir = *found;
  } else if (!is_directory(dir)) {
    c->problem = strformat("folder '%s' does not exist", dir.c_str());
    return;
  }
  c->path = dir;
  if (need.benchmark == Benchmark::kNeedle) {
    c->available = count_files_with_suffix(dir, ".txt");
    if (c->available == 0) {
      c->problem = strformat("haystack folder '%s' has no .txt essays", dir.c_str());
    }
    return;
  }
  // Heads: needles.jsonl with enough needles, and each needle's part folder with text.
  auto needles = read_jsonl(dir + "/needles.jsonl", SIZE_MAX);
  if (!needles.ok()) {
    c->problem = needles.status().message();
    return;
  }
  c->available = static_cast<int64_t>(needles->size());
  if (c->available < need.needed) {
    c->problem =
        strformat("%s/needles.jsonl holds %lld needles, the sweep needs %lld", dir.c_str(),
                  static_cast<long long>(c->available), static_cast<long long>(need.needed));
    return;
  }
  const bool r2 = need.relative.ends_with("_r2");
  for (int64_t i = 0; i < need.needed; ++i) {
    std::string part = dir + "/part" + std::to_string(r2 ? i : i + 1);
    if (count_files_with_suffix(part, ".txt") == 0) {
      c->problem = strformat("haystack part '%s' (needle %lld) has no .txt files", part.c_str(),
                             static_cast<long long>(i));
      return;
    }
  }
}

}  // namespace

std::vector<DataFileCheck> check_sweep_data(const ExpandedSweep& sweep,
                                            const std::string& data_root) {
  std::vector<Need> needs;
  std::map<std::string, size_t> index;  // relative -> needs position
  auto need = [&](Benchmark b, std::string relative, bool absolute, int64_t needed) {
    auto [it, added] = index.emplace(relative, needs.size());
    if (added) {
      needs.push_back({b, std::move(relative), absolute, 0});
    }
    needs[it->second].needed = std::max(needs[it->second].needed, needed);
  };
  for (const WorkUnit& u : sweep.units) {
    switch (u.benchmark) {
      case Benchmark::kLongBench:
        need(u.benchmark, longbench_jsonl_path("longbench", u.dataset), false,
             index_after_colon(u.sample_key) + 1);
        break;
      case Benchmark::kBabilong: {
        const std::string split = u.sample_key.substr(0, u.sample_key.find(':'));
        need(u.benchmark, babilong_jsonl_path("babilong", split, u.dataset), false,
             index_after_colon(u.sample_key) + 1);
        break;
      }
      case Benchmark::kNeedle:
        need(u.benchmark, "pg_essays", false, 1);
        break;
      case Benchmark::kHeads: {
        auto options = heads_options_from_json(u.options, "heads unit options");
        if (!options.ok()) {
          break;  // the sweep spec validated them; the worker reports a bad unit
        }
        const std::string sub =
            u.dataset == kHeadsReasoning ? "haystack_for_detect_r2" : "haystack_for_detect";
        const bool absolute = !options->haystack_root.empty();
        need(u.benchmark,
             absolute ? options->haystack_root + "/" + sub : "retrieval_haystack/" + sub, absolute,
             options->needles);
        break;
      }
    }
  }
  std::vector<DataFileCheck> checks;
  for (const Need& n : needs) {
    DataFileCheck c;
    c.relative = n.relative;
    c.needed = n.needed;
    if (n.benchmark == Benchmark::kLongBench || n.benchmark == Benchmark::kBabilong) {
      check_jsonl(n, data_root, &c);
    } else {
      check_folder(n, data_root, &c);
    }
    checks.push_back(std::move(c));
  }
  return checks;
}

Status data_check_status(const std::vector<DataFileCheck>& checks) {
  std::string problems;
  int count = 0;
  for (const DataFileCheck& c : checks) {
    if (c.problem.empty()) {
      continue;
    }
    if (++count <= 20) {
      problems += "\n  " + c.relative + ": " + c.problem;
    }
  }
  if (count == 0) {
    return Status();
  }
  if (count > 20) {
    problems += strformat("\n  ... and %d more", count - 20);
  }
  return errorf(StatusCode::kFailedPrecondition,
                "sweep data check failed, nothing was queued: %d of %zu data file(s) unusable:%s",
                count, checks.size(), problems.c_str());
}

}  // namespace hkv::jobs
