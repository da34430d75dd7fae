// Finished task reports kept on local disk until the coordinator acknowledges them, so a result is
// never lost to a coordinator outage of any length or a worker restart: run_worker writes a
// report here before sending it, deletes it once answered, and sends what a previous process left
// at startup. One file per report, written through a temporary file and rename.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "hkv/v1/coordinator.pb.h"

namespace hkv::worker {

class ReportSpool {
 public:
  // `dir` is created when missing.
  static Result<ReportSpool> open(const std::string& dir);

  // Stores the report as <dir>/task-<id>-attempt-<n>-<worker>.report; returns its path.
  Result<std::string> put(const v1::ReportResultRequest& report);
  // Every stored report, oldest task first, with its path; unreadable files are skipped (logged).
  std::vector<std::pair<std::string, v1::ReportResultRequest>> pending() const;
  static void remove(const std::string& path);

  const std::string& dir() const { return dir_; }

 private:
  explicit ReportSpool(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
};

// <cache>/spool: the default spool folder.
std::string default_spool_dir();

}  // namespace hkv::worker
