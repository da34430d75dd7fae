// MANIFEST.json beside fetched data: where it came from (endpoint, repository, revision), each
// downloaded source file with the size and sha256 the Hub listed, and each file written into the
// layout with its size and sha256. `headkv doctor` and later runs check it offline: sizes always,
// sha256 on request (`headkv data verify`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace hkv::fetch {

inline constexpr const char* kManifestName = "MANIFEST.json";

struct ManifestEntry {
  std::string path;  // relative to the manifest's folder (files) or the repository (sources)
  int64_t size = 0;
  std::string sha256;
  std::string hub_oid;  // sources: the checksum the Hub listed (LFS sha256 or git blob id)

  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

struct Manifest {
  std::string kind;        // "longbench" | "babilong" | "model"
  std::string endpoint;    // the Hub endpoint used
  std::string repo;        // "datasets/THUDM/LongBench"
  std::string revision;    // as asked (branch/tag/commit)
  std::string fetched_at;  // UTC, ISO 8601
  std::vector<ManifestEntry> sources;
  std::vector<ManifestEntry> files;

  friend bool operator==(const Manifest&, const Manifest&) = default;
};

Json manifest_to_json(const Manifest& m);
Result<Manifest> manifest_from_json(const Json& j, const std::string& source);
Result<Manifest> read_manifest(const std::string& path);
// Writes through a temporary file and rename, so a manifest is never half-written.
Status write_manifest(const std::string& path, const Manifest& m);

struct ManifestCheck {
  int64_t files = 0;
  int64_t missing = 0;
  int64_t wrong_size = 0;
  int64_t wrong_hash = 0;
  int64_t bytes = 0;
  std::vector<std::string> problems;  // one line per bad file (at most 20)

  bool complete() const { return missing == 0 && wrong_size == 0 && wrong_hash == 0; }
};

// Checks every file of `m` under `dir`: presence and size, and sha256 when `hash` is set.
ManifestCheck verify_manifest(const std::string& dir, const Manifest& m, bool hash);

// True when `dir`/`name` is a manifest of exactly `sources` (path, size, Hub checksum) whose files
// are all present with their sizes: a fetch of the same files can be skipped.
bool manifest_up_to_date(const std::string& dir,
                         const std::string& name,
                         const std::vector<ManifestEntry>& sources);

// Moves every file of `files` from `staged_dir` into `dest_dir` (renames, replacing older files),
// then writes the manifest `m` as `dest_dir`/`name`. The manifest is written last, so a
// manifest always describes a complete install.
Status install_files(const std::string& staged_dir,
                     const std::string& dest_dir,
                     const std::string& name,
                     const Manifest& m);

// Writes `bytes` to `path` through `path`.tmp and rename.
Status write_file_atomic(const std::string& path, const std::string& bytes);
std::string utc_now_iso8601();

}  // namespace hkv::fetch
