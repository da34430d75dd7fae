// The Hugging Face Hub's HTTP API, as far as headkv needs it: list a repository's files with their
// sizes and checksums (GET /api/{models|datasets}/{id}/tree/{revision}?recursive=true, following
// `Link: <...>; rel="next"` pages), and the download URL of a file
// ({endpoint}/{datasets/}{id}/resolve/{revision}/{path}). The endpoint is $HF_ENDPOINT (a mirror)
// or https://huggingface.co; the token is $HF_TOKEN (or $HUGGING_FACE_HUB_TOKEN).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "fetch/http.h"

namespace hkv::fetch {

enum class RepoKind { kModel, kDataset };

struct HubRepo {
  RepoKind kind = RepoKind::kDataset;
  std::string id;                 // "THUDM/LongBench"
  std::string revision = "main";  // branch, tag or commit
};

struct HubFile {
  std::string path;        // inside the repository
  int64_t size = 0;        // the real file size (for LFS files, the object's size)
  std::string blob_sha1;   // git blob id ("oid")
  std::string lfs_sha256;  // LFS object sha256, "" for regular git files
};

std::string hub_endpoint();  // $HF_ENDPOINT without a trailing '/', else https://huggingface.co
std::string hub_token();     // $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else ""
std::string repo_label(const HubRepo& repo);  // "datasets/THUDM/LongBench@main"

class HubClient {
 public:
  HubClient(HttpClient* http, std::string endpoint);

  // Every file under `folder` ("" = the whole repository), recursively, in listing order.
  Result<std::vector<HubFile>> list_files(const HubRepo& repo, const std::string& folder = "");
  std::string resolve_url(const HubRepo& repo, const std::string& path) const;

  const std::string& endpoint() const { return endpoint_; }

 private:
  HttpClient* http_;
  std::string endpoint_;
};

// A Hub error response as a Status that says what to do: gated repositories (accept the licence,
// set HF_TOKEN), missing repositories, revisions or files, rate limits, server errors.
Status hub_http_error(const HttpResponse& r,
                      const HubRepo& repo,
                      const std::string& what,
                      const std::string& endpoint);
// Percent-encodes one path component ('/' too), or a path keeping its '/'.
std::string url_escape(const std::string& s, bool keep_slash);

}  // namespace hkv::fetch
