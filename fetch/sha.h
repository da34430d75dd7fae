// Streaming SHA-256 and SHA-1 (OpenSSL EVP) for download verification: the Hub lists an LFS
// file's sha256 and a regular file's git blob id (sha1 over "blob <size>\0" + content).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/status.h"

namespace hkv::fetch {

class Hasher {
 public:
  enum class Kind { kSha256, kSha1 };
  explicit Hasher(Kind kind);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(const void* data, size_t size);
  // Lower-case hex digest; the hasher is finished afterwards.
  std::string hex_digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(const std::string& data);
// sha256 of a file's bytes, read in 1 MiB chunks.
Result<std::string> sha256_file(const std::string& path);
// The git blob id of a file: sha1("blob " + size + "\0" + bytes).
Result<std::string> git_blob_sha1_file(const std::string& path);

}  // namespace hkv::fetch
