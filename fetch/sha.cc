// OpenSSL's EVP digests behind an RAII context.
#include "fetch/sha.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <openssl/evp.h>
#include <vector>

#include "common/strings.h"

namespace hkv::fetch {

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;

  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(Kind kind) : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx_->md, kind == Kind::kSha256 ? EVP_sha256() : EVP_sha1(), nullptr);
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_->md, data, size);
}

std::string Hasher::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_->md, digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += strformat("%02x", digest[i]);
  }
  return hex;
}

std::string sha256_hex(const std::string& data) {
  Hasher h(Hasher::Kind::kSha256);
  h.update(data.data(), data.size());
  return h.hex_digest();
}

namespace {

// Feeds the file's bytes to `h`, after `prefix`.
Result<int64_t> hash_file(const std::string& path, Hasher* h) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return errorf(StatusCode::kNotFound, "cannot open '%s': %s", path.c_str(),
                  std::strerror(errno));
  }
  std::vector<char> buffer(1 << 20);
  int64_t total = 0;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
    h->update(buffer.data(), n);
    total += static_cast<int64_t>(n);
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) {
    return errorf(StatusCode::kDataLoss, "read error in '%s'", path.c_str());
  }
  return total;
}

}  // namespace

Result<std::string> sha256_file(const std::string& path) {
  Hasher h(Hasher::Kind::kSha256);
  HKV_RETURN_IF_ERROR(hash_file(path, &h).status());
  return h.hex_digest();
}

Result<std::string> git_blob_sha1_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return errorf(StatusCode::kNotFound, "cannot open '%s': %s", path.c_str(),
                  std::strerror(errno));
  }
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  Hasher h(Hasher::Kind::kSha1);
  const std::string header = "blob " + std::to_string(size) + std::string(1, '\0');
  h.update(header.data(), header.size());
  HKV_RETURN_IF_ERROR(hash_file(path, &h).status());
  return h.hex_digest();
}

}  // namespace hkv::fetch
