// JSON through common/json.h; hashes through fetch/sha.h.
#include "fetch/manifest.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "common/strings.h"
#include "fetch/sha.h"

namespace hkv::fetch {
namespace {

Json entries_to_json(const std::vector<ManifestEntry>& entries) {
  Json list = Json::array();
  for (const ManifestEntry& e : entries) {
    Json j = {{"path", e.path}, {"size", e.size}, {"sha256", e.sha256}};
    if (!e.hub_oid.empty()) {
      j["hub_oid"] = e.hub_oid;
    }
    list.push_back(std::move(j));
  }
  return list;
}

Result<std::vector<ManifestEntry>> entries_from_json(const JsonRef& list) {
  std::vector<ManifestEntry> out;
  if (!list.is_array()) {
    return errorf(StatusCode::kDataLoss, "%s: expected an array", list.path().c_str());
  }
  for (size_t i = 0; i < list.raw().size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef e, list.at(i));
    ManifestEntry m;
    HKV_ASSIGN_OR_RETURN(m.path, e.get<std::string>("path"));
    HKV_ASSIGN_OR_RETURN(m.size, e.get<int64_t>("size"));
    HKV_ASSIGN_OR_RETURN(m.sha256, e.get<std::string>("sha256"));
    HKV_ASSIGN_OR_RETURN(m.hub_oid, e.get_or<std::string>("hub_oid", ""));
    if (m.path.empty() || m.path.find("..") != std::string::npos || m.path[0] == '/') {
      return errorf(StatusCode::kDataLoss, "%s.path: '%s' is not a relative path inside the folder",
                    e.path().c_str(), m.path.c_str());
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

Json manifest_to_json(const Manifest& m) {
  return {{"format", "headkv-manifest-1"},
          {"kind", m.kind},
          {"endpoint", m.endpoint},
          {"repo", m.repo},
          {"revision", m.revision},
          {"fetched_at", m.fetched_at},
          {"sources", entries_to_json(m.sources)},
          {"files", entries_to_json(m.files)}};
}

Result<Manifest> manifest_from_json(const Json& j, const std::string& source) {
  JsonRef root(j, source);
  Manifest m;
  HKV_ASSIGN_OR_RETURN(std::string format, root.get<std::string>("format"));
  if (format != "headkv-manifest-1") {
    return errorf(StatusCode::kDataLoss, "%s: format '%s', expected 'headkv-manifest-1'",
                  source.c_str(), format.c_str());
  }
  HKV_ASSIGN_OR_RETURN(m.kind, root.get<std::string>("kind"));
  HKV_ASSIGN_OR_RETURN(m.endpoint, root.get<std::string>("endpoint"));
  HKV_ASSIGN_OR_RETURN(m.repo, root.get<std::string>("repo"));
  HKV_ASSIGN_OR_RETURN(m.revision, root.get<std::string>("revision"));
  HKV_ASSIGN_OR_RETURN(m.fetched_at, root.get<std::string>("fetched_at"));
  HKV_ASSIGN_OR_RETURN(JsonRef sources, root.at("sources"));
  HKV_ASSIGN_OR_RETURN(m.sources, entries_from_json(sources));
  HKV_ASSIGN_OR_RETURN(JsonRef files, root.at("files"));
  HKV_ASSIGN_OR_RETURN(m.files, entries_from_json(files));
  return m;
}

Result<Manifest> read_manifest(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(Json j, read_json_file(path));
  return manifest_from_json(j, path);
}

Status write_file_atomic(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return errorf(StatusCode::kFailedPrecondition, "cannot write '%s': %s", tmp.c_str(),
                  std::strerror(errno));
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    std::remove(tmp.c_str());
    return errorf(StatusCode::kDataLoss, "cannot write '%s' (disk full?)", tmp.c_str());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return errorf(StatusCode::kDataLoss, "cannot rename '%s' to '%s': %s", tmp.c_str(),
                  path.c_str(), ec.message().c_str());
  }
  return Status();
}

Status write_manifest(const std::string& path, const Manifest& m) {
  return write_file_atomic(path, dump_json(manifest_to_json(m), 2) + "\n");
}

ManifestCheck verify_manifest(const std::string& dir, const Manifest& m, bool hash) {
  ManifestCheck c;
  auto problem = [&c](std::string line) {
    if (c.problems.size() < 20) {
      c.problems.push_back(std::move(line));
    }
  };
  for (const ManifestEntry& e : m.files) {
    ++c.files;
    const std::string path = dir + "/" + e.path;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      ++c.missing;
      problem(e.path + ": missing");
      continue;
    }
    c.bytes += static_cast<int64_t>(size);
    if (static_cast<int64_t>(size) != e.size) {
      ++c.wrong_size;
      problem(strformat("%s: %lld bytes, the manifest says %lld", e.path.c_str(),
                        static_cast<long long>(size), static_cast<long long>(e.size)));
      continue;
    }
    if (hash) {
      Result<std::string> sha = sha256_file(path);
      if (!sha.ok() || *sha != e.sha256) {
        ++c.wrong_hash;
        problem(strformat("%s: sha256 %s, the manifest says %s", e.path.c_str(),
                          sha.ok() ? sha->c_str() : sha.status().message().c_str(),
                          e.sha256.c_str()));
      }
    }
  }
  return c;
}

bool manifest_up_to_date(const std::string& dir,
                         const std::string& name,
                         const std::vector<ManifestEntry>& sources) {
  Result<Manifest> m = read_manifest(dir + "/" + name);
  if (!m.ok() || m->sources.size() != sources.size()) {
    return false;
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    const ManifestEntry &a = m->sources[i], &b = sources[i];
    if (a.path != b.path || a.size != b.size || a.hub_oid != b.hub_oid) {
      return false;
    }
  }
  return verify_manifest(dir, *m, /*hash=*/false).complete();
}

Status install_files(const std::string& staged_dir,
                     const std::string& dest_dir,
                     const std::string& name,
                     const Manifest& m) {
  std::error_code ec;
  // An older manifest no longer describes the folder once files start moving.
  std::filesystem::remove(dest_dir + "/" + name, ec);
  for (const ManifestEntry& e : m.files) {
    const std::filesystem::path from = staged_dir + "/" + e.path, to = dest_dir + "/" + e.path;
    std::filesystem::create_directories(to.parent_path(), ec);
    std::filesystem::rename(from, to, ec);
    if (ec) {
      return errorf(StatusCode::kDataLoss, "cannot move '%s' to '%s': %s", from.c_str(), to.c_str(),
                    ec.message().c_str());
    }
  }
  return write_manifest(dest_dir + "/" + name, m);
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace hkv::fetch
