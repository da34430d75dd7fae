// Files hold the serialized ReportResultRequest; names carry the task and attempt for humans.
#include "worker/report_spool.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/logging.h"
#include "common/mapped_file.h"
#include "common/paths.h"
#include "common/strings.h"

namespace hkv::worker {
namespace {

namespace fs = std::filesystem;

std::string safe_name(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  }
  return out;
}

}  // namespace

std::string default_spool_dir() {
  return cache_dir() + "/spool";
}

Result<ReportSpool> ReportSpool::open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return errorf(StatusCode::kFailedPrecondition,
                  "cannot create the report spool folder '%s' (%s): results could not be kept "
                  "safe across coordinator outages; pass --spool-dir",
                  dir.c_str(), ec.message().c_str());
  }
  return ReportSpool(dir);
}

Result<std::string> ReportSpool::put(const v1::ReportResultRequest& report) {
  const std::string name =
      strformat("task-%012lld-attempt-%d-%s.report", static_cast<long long>(report.task_id()),
                report.attempt(), safe_name(report.worker_id()).c_str());
  const std::string path = dir_ + "/" + name, tmp = path + ".tmp";
  std::string bytes;
  if (!report.SerializeToString(&bytes)) {
    return errorf(StatusCode::kInternal, "cannot serialize the report for %s", name.c_str());
  }
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return errorf(StatusCode::kFailedPrecondition, "cannot write '%s': %s", tmp.c_str(),
                  std::strerror(errno));
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() &&
                  std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  std::fclose(f);
  std::error_code ec;
  if (ok) {
    fs::rename(tmp, path, ec);
  }
  if (!ok || ec) {
    fs::remove(tmp, ec);
    return errorf(StatusCode::kDataLoss, "cannot store the report in '%s' (disk full?)",
                  path.c_str());
  }
  return path;
}

std::vector<std::pair<std::string, v1::ReportResultRequest>> ReportSpool::pending() const {
  std::vector<std::string> paths;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string p = it->path().string();
    if (p.ends_with(".report")) {
      paths.push_back(p);
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::pair<std::string, v1::ReportResultRequest>> out;
  for (const std::string& p : paths) {
    Result<std::string> bytes = read_file_to_string(p);
    v1::ReportResultRequest report;
    if (!bytes.ok() || !report.ParseFromString(*bytes)) {
      HKV_LOG(kWarning, "worker", "spool: skipping unreadable report %s", p.c_str());
      continue;
    }
    out.emplace_back(p, std::move(report));
  }
  return out;
}

void ReportSpool::remove(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

}  // namespace hkv::worker
