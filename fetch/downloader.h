// Verified downloads into a staging folder. Each file goes to <staging>/<path>.part first (kept
// across runs, so an interrupted fetch resumes with a Range request), then is checked against the
// size and checksum the Hub listed (an LFS file's sha256, else its git blob id) and only then
// renamed to <staging>/<path>. A mismatch deletes the download: nothing unverified survives.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "fetch/http.h"
#include "fetch/hub.h"

namespace hkv::fetch {

struct DownloadOptions {
  int retries = 4;       // extra attempts per file after a transport failure (each resumes)
  bool progress = true;  // progress bars on stderr
};

struct StagedFile {
  HubFile file;
  std::string path;    // verified, under the staging folder
  std::string sha256;  // of its bytes
};

Result<std::vector<StagedFile>> download_verified(HttpClient& http,
                                                  const HubClient& hub,
                                                  const HubRepo& repo,
                                                  const std::vector<HubFile>& files,
                                                  const std::string& staging,
                                                  const DownloadOptions& options);

// Checks a finished download against its listing; on a mismatch deletes `path` and returns
// DataLoss naming both checksums. Returns the file's sha256.
Result<std::string> verify_download(const HubFile& file, const std::string& path);

}  // namespace hkv::fetch
