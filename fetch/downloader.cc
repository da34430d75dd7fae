// Retries back off 1, 2, 4, 8 s; every retry resumes from the bytes already on disk.
#include "fetch/downloader.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "common/strings.h"
#include "fetch/progress.h"
#include "fetch/sha.h"

namespace hkv::fetch {
namespace {

int64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

// One file: attempts with resume until the .part holds the listed size.
Status download_one(HttpClient& http,
                    const HubClient& hub,
                    const HubRepo& repo,
                    const HubFile& f,
                    const std::string& part,
                    const DownloadOptions& o) {
  const std::string url = hub.resolve_url(repo, f.path);
  Status last;
  for (int attempt = 0; attempt <= o.retries; ++attempt) {
    if (attempt > 0) {
      const int wait_s = std::min(8, 1 << (attempt - 1));
      std::fprintf(stderr, "  %s: %s; retrying in %d s (%d of %d)\n", f.path.c_str(),
                   last.message().c_str(), wait_s, attempt, o.retries);
      std::this_thread::sleep_for(std::chrono::seconds(wait_s));
    }
    const int64_t before = file_size_or_zero(part);
    if (before > f.size) {
      std::filesystem::remove(part);  // longer than the listed file: start over
    }
    if (before == f.size && f.size > 0) {
      return Status();
    }
    ProgressBar bar(f.path, f.size, file_size_or_zero(part));
    ProgressFn progress;
    if (o.progress) {
      progress = [&bar](int64_t done, int64_t) { bar.update(done); };
    }
    Result<HttpResponse> r = http.download(url, part, progress);
    const int64_t now = file_size_or_zero(part);
    if (o.progress) {
      bar.finish(now);
    }
    if (!r.ok()) {
      last = r.status();
      if (r.status().code() == StatusCode::kUnavailable) {
        continue;  // transport: retry, resuming
      }
      return last;
    }
    if (r->status == 416 && now == f.size) {
      return Status();
    }
    if (r->status != 200 && r->status != 206) {
      last = hub_http_error(*r, repo, "downloading " + f.path, hub.endpoint());
      if (r->status >= 500 || r->status == 429) {
        continue;
      }
      return last;
    }
    if (now == f.size) {
      return Status();
    }
    last = errorf(StatusCode::kUnavailable, "transfer ended at %lld of %lld bytes",
                  static_cast<long long>(now), static_cast<long long>(f.size));
    if (now > f.size) {
      std::filesystem::remove(part);
      return errorf(StatusCode::kDataLoss,
                    "%s: received %lld bytes, the Hub lists %lld; the download was deleted",
                    f.path.c_str(), static_cast<long long>(now), static_cast<long long>(f.size));
    }
  }
  return errorf(last.code(),
                "%s: %s. The partial download is kept (%s): run the same command again to resume",
                f.path.c_str(), last.message().c_str(), part.c_str());
}

}  // namespace

Result<std::string> verify_download(const HubFile& file, const std::string& path) {
  const int64_t size = file_size_or_zero(path);
  if (size != file.size) {
    std::filesystem::remove(path);
    return errorf(StatusCode::kDataLoss,
                  "%s: %lld bytes, the Hub lists %lld; the download was deleted", file.path.c_str(),
                  static_cast<long long>(size), static_cast<long long>(file.size));
  }
  HKV_ASSIGN_OR_RETURN(std::string sha256, sha256_file(path));
  if (!file.lfs_sha256.empty()) {
    if (sha256 != file.lfs_sha256) {
      std::filesystem::remove(path);
      return errorf(StatusCode::kDataLoss,
                    "%s: checksum mismatch: sha256 %s, the Hub lists %s; the download was "
                    "deleted and nothing was installed",
                    file.path.c_str(), sha256.c_str(), file.lfs_sha256.c_str());
    }
    return sha256;
  }
  HKV_ASSIGN_OR_RETURN(std::string blob, git_blob_sha1_file(path));
  if (blob != file.blob_sha1) {
    std::filesystem::remove(path);
    return errorf(StatusCode::kDataLoss,
                  "%s: checksum mismatch: git blob id %s, the Hub lists %s; the download was "
                  "deleted and nothing was installed",
                  file.path.c_str(), blob.c_str(), file.blob_sha1.c_str());
  }
  return sha256;
}

Result<std::vector<StagedFile>> download_verified(HttpClient& http,
                                                  const HubClient& hub,
                                                  const HubRepo& repo,
                                                  const std::vector<HubFile>& files,
                                                  const std::string& staging,
                                                  const DownloadOptions& options) {
  std::vector<StagedFile> out;
  for (const HubFile& f : files) {
    if (f.path.find("..") != std::string::npos || f.path.empty() || f.path[0] == '/') {
      return errorf(StatusCode::kDataLoss, "the Hub listed an unsafe path '%s'", f.path.c_str());
    }
    const std::string final_path = staging + "/" + f.path;
    const std::string part = final_path + ".part";
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(final_path).parent_path(), ec);
    if (std::filesystem::exists(final_path, ec)) {
      // Verified by an earlier run that stopped later on: check again, cheaply re-use it.
      Result<std::string> sha = verify_download(f, final_path);
      if (sha.ok()) {
        out.push_back({f, final_path, *sha});
        continue;
      }
    }
    HKV_RETURN_IF_ERROR(download_one(http, hub, repo, f, part, options));
    HKV_ASSIGN_OR_RETURN(std::string sha, verify_download(f, part));
    std::filesystem::rename(part, final_path, ec);
    if (ec) {
      return errorf(StatusCode::kDataLoss, "cannot rename '%s': %s", part.c_str(),
                    ec.message().c_str());
    }
    out.push_back({f, final_path, std::move(sha)});
  }
  return out;
}

}  // namespace hkv::fetch
