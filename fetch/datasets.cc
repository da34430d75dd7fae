// Each recipe: list the repository, choose the files, download and verify them into the staging
// folder, convert into <staging>/out, install with the manifest, remove the staging folder.
#include "fetch/datasets.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <zip.h>

#include "common/json.h"
#include "common/mapped_file.h"
#include "common/paths.h"
#include "common/strings.h"
#include "fetch/manifest.h"
#include "fetch/sha.h"

namespace hkv::fetch {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

std::string default_dest(const std::string& dest) {
  return dest.empty() ? fetched_data_dir() : dest;
}

std::vector<ManifestEntry> source_entries(const std::vector<HubFile>& files) {
  std::vector<ManifestEntry> out;
  for (const HubFile& f : files) {
    out.push_back({f.path, f.size, "", f.lfs_sha256.empty() ? f.blob_sha1 : f.lfs_sha256});
  }
  return out;
}

Result<ManifestEntry> output_entry(const std::string& out_dir, const std::string& relative) {
  const std::string path = out_dir + "/" + relative;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return errorf(StatusCode::kDataLoss, "converted file '%s' is missing", path.c_str());
  }
  HKV_ASSIGN_OR_RETURN(std::string sha, sha256_file(path));
  return ManifestEntry{relative, static_cast<int64_t>(size), sha, ""};
}

Result<Json> babilong_record(const Json& r, const std::string& where) {
  Json out = Json::object();
  for (const char* field : {"input", "question", "target"}) {
    if (!r.is_object() || !r.contains(field) || !r[field].is_string()) {
      return errorf(StatusCode::kDataLoss, "%s: expected a string field '%s'", where.c_str(),
                    field);
    }
    out[field] = r[field];
  }
  return out;
}

// Lists, downloads and stages; then `convert` writes into <staging>/out and names its files.
using Convert = std::function<Result<std::vector<std::string>>(
    const std::vector<StagedFile>& staged, const std::string& out_dir)>;

Result<DatasetFetchReport> fetch_with(
    const std::string& dataset,
    const DatasetFetchOptions& o,
    const HubRepo& repo,
    const std::function<Result<std::vector<HubFile>>(const std::vector<HubFile>& listing)>& choose,
    const Convert& convert) {
  const std::string dest = default_dest(o.dest);
  const std::string folder = dest + "/" + dataset;
  const std::string staging = dest + "/.partial/" + dataset;
  HttpClient http(HttpOptions{hub_token()});
  HubClient hub(&http, hub_endpoint());
  std::fprintf(stderr, "%s: listing %s at %s\n", dataset.c_str(), repo_label(repo).c_str(),
               hub.endpoint().c_str());
  HKV_ASSIGN_OR_RETURN(std::vector<HubFile> listing, hub.list_files(repo));
  HKV_ASSIGN_OR_RETURN(std::vector<HubFile> files, choose(listing));
  const std::vector<ManifestEntry> sources = source_entries(files);
  DatasetFetchReport report;
  report.folder = folder;
  if (manifest_up_to_date(folder, kManifestName, sources)) {
    HKV_ASSIGN_OR_RETURN(Manifest m, read_manifest(folder + "/" + kManifestName));
    report.up_to_date = true;
    report.files = static_cast<int64_t>(m.files.size());
    for (const ManifestEntry& e : m.files) {
      report.bytes += e.size;
    }
    return report;
  }
  int64_t total = 0;
  for (const HubFile& f : files) {
    total += f.size;
  }
  std::fprintf(stderr, "%s: %zu file(s), %s to verify and download into %s\n", dataset.c_str(),
               files.size(), format_bytes(total).c_str(), staging.c_str());
  HKV_ASSIGN_OR_RETURN(std::vector<StagedFile> staged,
                       download_verified(http, hub, repo, files, staging + "/sources", o.download));
  const std::string out_dir = staging + "/out";
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  std::filesystem::create_directories(out_dir, ec);
  HKV_ASSIGN_OR_RETURN(std::vector<std::string> outputs, convert(staged, out_dir));
  Manifest m;
  m.kind = dataset;
  m.endpoint = hub.endpoint();
  m.repo = repo_label(repo).substr(0, repo_label(repo).rfind('@'));
  m.revision = repo.revision;
  m.fetched_at = utc_now_iso8601();
  m.sources = sources;
  for (size_t i = 0; i < staged.size(); ++i) {
    m.sources[i].sha256 = staged[i].sha256;
  }
  for (const std::string& rel : outputs) {
    HKV_ASSIGN_OR_RETURN(ManifestEntry e, output_entry(out_dir, rel));
    report.bytes += e.size;
    m.files.push_back(std::move(e));
  }
  report.files = static_cast<int64_t>(m.files.size());
  HKV_RETURN_IF_ERROR(install_files(out_dir, folder, kManifestName, m));
  std::filesystem::remove_all(staging, ec);
  std::filesystem::remove(dest + "/.partial", ec);  // only when empty
  return report;
}

}  // namespace

std::vector<std::string> fetchable_datasets() {
  return {"longbench", "babilong"};
}

HubRepo dataset_repo(const std::string& dataset, const std::string& revision) {
  HubRepo repo;
  repo.kind = RepoKind::kDataset;
  repo.id = dataset == "longbench" ? "THUDM/LongBench" : "RMT-team/babilong";
  repo.revision = revision.empty() ? "main" : revision;
  return repo;
}

Result<std::vector<std::string>> extract_jsonl_from_zip(const std::string& zip_path,
                                                        const std::string& out_dir) {
  int error = 0;
  std::unique_ptr<zip_t, ZipCloser> zip(zip_open(zip_path.c_str(), ZIP_RDONLY, &error));
  if (!zip) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    Status s = errorf(StatusCode::kDataLoss, "'%s' is not a readable zip archive: %s",
                      zip_path.c_str(), zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return s;
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  const zip_int64_t entries = zip_get_num_entries(zip.get(), 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* raw = zip_get_name(zip.get(), static_cast<zip_uint64_t>(i), 0);
    if (raw == nullptr) {
      continue;
    }
    const std::string entry = raw;
    const std::string base = entry.substr(entry.rfind('/') + 1);
    if (!base.ends_with(".jsonl") || base.size() <= 6 || base[0] == '.' ||
        entry.find("__MACOSX") != std::string::npos) {
      continue;
    }
    if (!seen.insert(base).second) {
      return errorf(StatusCode::kDataLoss, "'%s' holds two files named %s", zip_path.c_str(),
                    base.c_str());
    }
    std::unique_ptr<zip_file_t, ZipFileCloser> file(
        zip_fopen_index(zip.get(), static_cast<zip_uint64_t>(i), 0));
    if (!file) {
      return errorf(StatusCode::kDataLoss, "'%s': cannot read entry %s: %s", zip_path.c_str(),
                    entry.c_str(), zip_strerror(zip.get()));
    }
    std::string bytes;
    char buffer[1 << 16];
    zip_int64_t n = 0;
    while ((n = zip_fread(file.get(), buffer, sizeof(buffer))) > 0) {
      bytes.append(buffer, static_cast<size_t>(n));
    }
    if (n < 0) {
      return errorf(StatusCode::kDataLoss, "'%s': entry %s is corrupt: %s", zip_path.c_str(),
                    entry.c_str(), zip_file_strerror(file.get()));
    }
    HKV_RETURN_IF_ERROR(write_file_atomic(out_dir + "/" + base, bytes));
    names.push_back(base);
  }
  if (names.empty()) {
    return errorf(StatusCode::kDataLoss, "'%s' holds no .jsonl files", zip_path.c_str());
  }
  return names;
}

Result<std::string> babilong_json_to_jsonl(const std::string& text, const std::string& source) {
  std::vector<Json> records;
  Result<Json> whole = parse_json(text, source);
  if (whole.ok() && whole->is_array()) {
    records.assign(whole->begin(), whole->end());
  } else if (whole.ok() && whole->is_object() && whole->contains("input") &&
             (*whole)["input"].is_array()) {
    // Columns: {"input": [...], "question": [...], "target": [...]}.
    const size_t n = (*whole)["input"].size();
    for (size_t i = 0; i < n; ++i) {
      Json r = Json::object();
      for (const char* field : {"input", "question", "target"}) {
        if (!whole->contains(field) || !(*whole)[field].is_array() || (*whole)[field].size() != n) {
          return errorf(StatusCode::kDataLoss, "%s: column '%s' missing or of another length",
                        source.c_str(), field);
        }
        r[field] = (*whole)[field][i];
      }
      records.push_back(std::move(r));
    }
  } else {
    // JSON Lines (a single-record file parses as one object).
    size_t start = 0, line = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string_view row(text.data() + start,
                           (end == std::string::npos ? text.size() : end) - start);
      ++line;
      start = end == std::string::npos ? text.size() : end + 1;
      if (row.find_first_not_of(" \t\r") == std::string_view::npos) {
        continue;
      }
      HKV_ASSIGN_OR_RETURN(Json r, parse_json(row, strformat("%s:%zu", source.c_str(), line)));
      records.push_back(std::move(r));
    }
  }
  if (records.empty()) {
    return errorf(StatusCode::kDataLoss, "%s holds no records", source.c_str());
  }
  std::string out;
  for (size_t i = 0; i < records.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(
        Json r, babilong_record(records[i], strformat("%s: record %zu", source.c_str(), i)));
    out += dump_json(r) + "\n";
  }
  return out;
}

Result<DatasetFetchReport> fetch_dataset(const std::string& dataset, const DatasetFetchOptions& o) {
  const HubRepo repo = dataset_repo(dataset, o.revision);
  if (dataset == "longbench") {
    auto choose = [&repo](const std::vector<HubFile>& listing) -> Result<std::vector<HubFile>> {
      for (const HubFile& f : listing) {
        if (f.path == "data.zip") {
          return std::vector<HubFile>{f};
        }
      }
      return errorf(StatusCode::kNotFound, "%s lists no data.zip (files: %zu)",
                    repo_label(repo).c_str(), listing.size());
    };
    auto convert = [](const std::vector<StagedFile>& staged,
                      const std::string& out_dir) -> Result<std::vector<std::string>> {
      return extract_jsonl_from_zip(staged.at(0).path, out_dir);
    };
    return fetch_with(dataset, o, repo, choose, convert);
  }
  if (dataset == "babilong") {
    auto choose = [&](const std::vector<HubFile>& listing) -> Result<std::vector<HubFile>> {
      std::vector<HubFile> files;
      for (const std::string& task : o.babilong_tasks) {
        for (const std::string& length : o.babilong_lengths) {
          const std::string want = "data/" + task + "/" + length + ".json";
          auto it = std::find_if(listing.begin(), listing.end(),
                                 [&](const HubFile& f) { return f.path == want; });
          if (it == listing.end()) {
            std::string have;
            for (const HubFile& f : listing) {
              if (f.path.starts_with("data/" + task + "/")) {
                have += (have.empty() ? "" : ", ") + f.path.substr(task.size() + 6);
              }
            }
            return errorf(StatusCode::kNotFound, "%s has no %s (files for %s: %s)",
                          repo_label(repo).c_str(), want.c_str(), task.c_str(),
                          have.empty() ? "none" : have.c_str());
          }
          files.push_back(*it);
        }
      }
      return files;
    };
    auto convert = [](const std::vector<StagedFile>& staged,
                      const std::string& out_dir) -> Result<std::vector<std::string>> {
      std::vector<std::string> outputs;
      for (const StagedFile& s : staged) {
        // data/qa1/0k.json -> 0k/qa1.jsonl
        const std::string& p = s.file.path;
        const size_t a = p.find('/'), b = p.rfind('/');
        const std::string task = p.substr(a + 1, b - a - 1);
        const std::string length = p.substr(b + 1, p.size() - b - 6);
        HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(s.path));
        HKV_ASSIGN_OR_RETURN(std::string jsonl, babilong_json_to_jsonl(text, p));
        const std::string rel = length + "/" + task + ".jsonl";
        HKV_RETURN_IF_ERROR(write_file_atomic(out_dir + "/" + rel, jsonl));
        outputs.push_back(rel);
      }
      return outputs;
    };
    return fetch_with(dataset, o, repo, choose, convert);
  }
  return errorf(StatusCode::kInvalidArgument,
                "unknown dataset '%s'; fetchable: longbench, babilong", dataset.c_str());
}

}  // namespace hkv::fetch
