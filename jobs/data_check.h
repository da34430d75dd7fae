// Checks, before a sweep is queued, that every data file its units read is there, parses, and
// holds the samples the units index: LongBench and BABILong JSONL files, the needle essays, the
// head-detection haystacks. Files are found through the data search path (common/paths.h), so the
// check sees exactly what a worker on this machine would read.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {

struct DataFileCheck {
  std::string relative;   // "babilong/0k/qa1.jsonl", "pg_essays/", ...
  std::string path;       // where it was found ("" when missing)
  int64_t available = 0;  // samples (lines) or files found
  int64_t needed = 0;     // samples the units index, or files needed
  std::string problem;    // "" when fine
};

// One entry per distinct file or folder the units read, in unit order.
std::vector<DataFileCheck> check_sweep_data(const ExpandedSweep& sweep,
                                            const std::string& data_root);

// OK when no entry has a problem; else FailedPrecondition listing every problem (at most 20) and
// how to get the data.
Status data_check_status(const std::vector<DataFileCheck>& checks);

}  // namespace hkv::jobs
