// Tree listing with pagination, and the Hub's error conventions (X-Error-Code: GatedRepo,
// RepoNotFound, RevisionNotFound, EntryNotFound).
#include "fetch/hub.h"

#include <cctype>
#include <cstdlib>

#include "common/json.h"
#include "common/strings.h"

namespace hkv::fetch {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

const char* kind_prefix(RepoKind kind) {
  return kind == RepoKind::kDataset ? "datasets/" : "";
}

// The URL of rel="next" in a Link header, or "".
std::string next_link(const std::string& link) {
  size_t pos = 0;
  while (pos < link.size()) {
    size_t open = link.find('<', pos), close = link.find('>', open);
    if (open == std::string::npos || close == std::string::npos) {
      break;
    }
    size_t end = link.find(',', close);
    std::string params = link.substr(close + 1, end == std::string::npos ? end : end - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos ||
        params.find("rel=next") != std::string::npos) {
      return link.substr(open + 1, close - open - 1);
    }
    if (end == std::string::npos) {
      break;
    }
    pos = end + 1;
  }
  return "";
}

Result<HubFile> parse_entry(const Json& e, const std::string& source) {
  HubFile f;
  if (!e.is_object() || !e.contains("path") || !e["path"].is_string() || !e.contains("size") ||
      !e["size"].is_number_integer()) {
    return errorf(StatusCode::kDataLoss, "%s: a file entry without path/size: %s", source.c_str(),
                  dump_json(e).substr(0, 200).c_str());
  }
  f.path = e["path"].get<std::string>();
  f.size = e["size"].get<int64_t>();
  if (e.contains("oid") && e["oid"].is_string()) {
    f.blob_sha1 = e["oid"].get<std::string>();
  }
  if (e.contains("lfs") && e["lfs"].is_object()) {
    const Json& lfs = e["lfs"];
    if (lfs.contains("oid") && lfs["oid"].is_string()) {
      f.lfs_sha256 = lfs["oid"].get<std::string>();
    }
    if (lfs.contains("size") && lfs["size"].is_number_integer()) {
      f.size = lfs["size"].get<int64_t>();
    }
  }
  if (f.blob_sha1.empty() && f.lfs_sha256.empty()) {
    return errorf(StatusCode::kDataLoss, "%s: '%s' is listed without any checksum", source.c_str(),
                  f.path.c_str());
  }
  return f;
}

}  // namespace

std::string hub_endpoint() {
  std::string e = env("HF_ENDPOINT");
  while (!e.empty() && e.back() == '/') {
    e.pop_back();
  }
  return e.empty() ? "https://huggingface.co" : e;
}

std::string hub_token() {
  std::string t = env("HF_TOKEN");
  return t.empty() ? env("HUGGING_FACE_HUB_TOKEN") : t;
}

std::string repo_label(const HubRepo& repo) {
  return std::string(kind_prefix(repo.kind)) + repo.id + "@" + repo.revision;
}

std::string url_escape(const std::string& s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += strformat("%%%02X", c);
    }
  }
  return out;
}

HubClient::HubClient(HttpClient* http, std::string endpoint)
    : http_(http), endpoint_(std::move(endpoint)) {}

std::string HubClient::resolve_url(const HubRepo& repo, const std::string& path) const {
  return endpoint_ + "/" + kind_prefix(repo.kind) + repo.id + "/resolve/" +
         url_escape(repo.revision, false) + "/" + url_escape(path, true);
}

Result<std::vector<HubFile>> HubClient::list_files(const HubRepo& repo, const std::string& folder) {
  std::string url = endpoint_ + "/api/" +
                    (repo.kind == RepoKind::kDataset ? "datasets/" : "models/") + repo.id +
                    "/tree/" + url_escape(repo.revision, false) +
                    (folder.empty() ? "" : "/" + url_escape(folder, true)) + "?recursive=true";
  std::vector<HubFile> files;
  for (int page = 0; !url.empty(); ++page) {
    if (page > 10000) {
      return errorf(StatusCode::kDataLoss, "%s: more than 10000 listing pages", url.c_str());
    }
    HKV_ASSIGN_OR_RETURN(HttpResponse r, http_->get(url));
    if (r.status != 200) {
      return hub_http_error(r, repo, "listing files", endpoint_);
    }
    HKV_ASSIGN_OR_RETURN(Json listing, parse_json(r.body, url));
    if (!listing.is_array()) {
      return errorf(StatusCode::kDataLoss, "%s: expected a JSON array of entries, got %s",
                    url.c_str(), json_type_name(listing));
    }
    for (const Json& e : listing) {
      if (e.is_object() && e.value("type", "") == "file") {
        HKV_ASSIGN_OR_RETURN(HubFile f, parse_entry(e, url));
        files.push_back(std::move(f));
      }
    }
    url = next_link(r.header("link"));
  }
  return files;
}

Status hub_http_error(const HttpResponse& r,
                      const HubRepo& repo,
                      const std::string& what,
                      const std::string& endpoint) {
  const std::string code = r.header("x-error-code");
  const std::string message = r.header("x-error-message");
  const std::string label = repo_label(repo);
  const std::string page = endpoint + "/" + kind_prefix(repo.kind) + repo.id;
  const bool have_token = !hub_token().empty();
  if (code == "GatedRepo" ||
      ((r.status == 401 || r.status == 403) && repo.kind == RepoKind::kModel &&
       message.find("gated") != std::string::npos)) {
    return errorf(StatusCode::kUnauthenticated, "%s (%s): HTTP %ld, the repository is gated. %s",
                  what.c_str(), label.c_str(), r.status,
                  have_token
                      ? strformat("Your HF_TOKEN has no access yet: accept the licence at %s "
                                  "with the token's account and try again",
                                  page.c_str())
                            .c_str()
                      : strformat("Accept its licence at %s, then set HF_TOKEN to a token "
                                  "of that account (huggingface.co/settings/tokens)",
                                  page.c_str())
                            .c_str());
  }
  if (r.status == 401 || r.status == 403) {
    return errorf(StatusCode::kUnauthenticated,
                  "%s (%s): HTTP %ld: the repository does not exist, is private, or needs a token "
                  "(%s)",
                  what.c_str(), label.c_str(), r.status,
                  have_token ? "your HF_TOKEN has no access to it" : "set HF_TOKEN");
  }
  if (r.status == 404) {
    const char* which = code == "RevisionNotFound" ? "revision not found"
                        : code == "EntryNotFound"  ? "file not found"
                                                   : "repository or revision not found";
    return errorf(StatusCode::kNotFound, "%s (%s): HTTP 404, %s%s%s", what.c_str(), label.c_str(),
                  which, message.empty() ? "" : ": ", message.c_str());
  }
  if (r.status == 429) {
    return errorf(StatusCode::kUnavailable,
                  "%s (%s): HTTP 429, rate limited by %s; wait and run the command again (it "
                  "resumes), or set HF_TOKEN for a higher limit",
                  what.c_str(), label.c_str(), endpoint.c_str());
  }
  return errorf(r.status >= 500 ? StatusCode::kUnavailable : StatusCode::kFailedPrecondition,
                "%s (%s): HTTP %ld from %s%s%s", what.c_str(), label.c_str(), r.status,
                r.url.c_str(), message.empty() ? "" : ": ", message.c_str());
}

}  // namespace hkv::fetch
