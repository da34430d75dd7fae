// Staged in <dest>.partial/, installed file by file with the manifest last.
#include "fetch/model_fetch.h"

#include <cstdio>
#include <filesystem>

#include "common/paths.h"
#include "common/strings.h"
#include "fetch/manifest.h"

namespace hkv::fetch {
namespace {

bool wanted(const std::string& path) {
  if (path.find('/') != std::string::npos) {
    return false;  // original/ (Meta's consolidated weights) and other folders
  }
  static const char* kFiles[] = {
      "config.json",           "generation_config.json",  "tokenizer.json",
      "tokenizer_config.json", "special_tokens_map.json", "model.safetensors.index.json"};
  for (const char* f : kFiles) {
    if (path == f) {
      return true;
    }
  }
  return path.ends_with(".safetensors");
}

}  // namespace

Result<std::vector<HubFile>> choose_model_files(const std::vector<HubFile>& listing,
                                                const std::string& repo_id) {
  std::vector<HubFile> files;
  bool config = false, tokenizer = false, weights = false;
  std::string other;
  for (const HubFile& f : listing) {
    if (wanted(f.path)) {
      files.push_back(f);
      config |= f.path == "config.json";
      tokenizer |= f.path == "tokenizer.json";
      weights |= f.path.ends_with(".safetensors");
    } else if (f.path.find('/') == std::string::npos) {
      other += (other.empty() ? "" : ", ") + f.path;
    }
  }
  const char* missing = !config      ? "config.json"
                        : !tokenizer ? "tokenizer.json"
                        : !weights   ? "*.safetensors weights"
                                     : nullptr;
  if (missing != nullptr) {
    return errorf(StatusCode::kFailedPrecondition,
                  "%s has no %s, which headkv needs (it reads config.json, tokenizer.json and "
                  "safetensors, or one GGUF file); other top-level files: %s",
                  repo_id.c_str(), missing, other.empty() ? "none" : other.c_str());
  }
  return files;
}

Result<ModelFetchReport> fetch_model(const ModelFetchOptions& o) {
  const size_t slash = o.repo_id.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == o.repo_id.size() ||
      o.repo_id.find('/', slash + 1) != std::string::npos ||
      o.repo_id.find("..") != std::string::npos) {
    return errorf(StatusCode::kInvalidArgument,
                  "model '%s': expected ORG/NAME, e.g. "
                  "meta-llama/Meta-Llama-3-8B-Instruct",
                  o.repo_id.c_str());
  }
  HubRepo repo{RepoKind::kModel, o.repo_id, o.revision.empty() ? "main" : o.revision};
  const std::string folder =
      o.dest.empty() ? cache_dir() + "/models/" + o.repo_id.substr(slash + 1) : o.dest;
  const std::string staging = folder + ".partial";
  HttpClient http(HttpOptions{hub_token()});
  HubClient hub(&http, hub_endpoint());
  std::fprintf(stderr, "model: listing %s at %s\n", repo_label(repo).c_str(),
               hub.endpoint().c_str());
  HKV_ASSIGN_OR_RETURN(std::vector<HubFile> listing, hub.list_files(repo));
  HKV_ASSIGN_OR_RETURN(std::vector<HubFile> files, choose_model_files(listing, o.repo_id));
  std::vector<ManifestEntry> sources;
  int64_t total = 0;
  for (const HubFile& f : files) {
    sources.push_back({f.path, f.size, "", f.lfs_sha256.empty() ? f.blob_sha1 : f.lfs_sha256});
    total += f.size;
  }
  ModelFetchReport report;
  report.folder = folder;
  report.files = static_cast<int64_t>(files.size());
  report.bytes = total;
  if (manifest_up_to_date(folder, kModelManifestName, sources)) {
    report.up_to_date = true;
    return report;
  }
  std::fprintf(stderr, "model: %zu file(s), %s into %s\n", files.size(),
               format_bytes(total).c_str(), folder.c_str());
  HKV_ASSIGN_OR_RETURN(std::vector<StagedFile> staged,
                       download_verified(http, hub, repo, files, staging, o.download));
  Manifest m;
  m.kind = "model";
  m.endpoint = hub.endpoint();
  m.repo = o.repo_id;
  m.revision = repo.revision;
  m.fetched_at = utc_now_iso8601();
  m.sources = sources;
  for (size_t i = 0; i < staged.size(); ++i) {
    m.sources[i].sha256 = staged[i].sha256;
    m.files.push_back({files[i].path, files[i].size, staged[i].sha256, ""});
  }
  HKV_RETURN_IF_ERROR(install_files(staging, folder, kModelManifestName, m));
  std::error_code ec;
  std::filesystem::remove_all(staging, ec);
  return report;
}

}  // namespace hkv::fetch
