// gzip through zlib (Debian's zlib1g); plain files through read_file_to_string.
#include "common/data_file.h"

#include <filesystem>
#include <system_error>
#include <zlib.h>

#include "common/mapped_file.h"

namespace hkv {
namespace {

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

std::optional<std::string> existing_data_file(const std::string& path) {
  if (is_regular_file(path)) {
    return path;
  }
  if (is_regular_file(path + ".gz")) {
    return path + ".gz";
  }
  return std::nullopt;
}

Result<std::string> gunzip(const std::string& compressed, const std::string& source) {
  z_stream zs{};
  // 15 + 32: zlib or gzip header, detected automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) {
    return errorf(StatusCode::kInternal, "%s: zlib inflateInit2 failed", source.c_str());
  }
  std::string out;
  out.reserve(compressed.size() * 4);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  char buffer[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) {
        break;
      }
      // Concatenated gzip members (gzip -c a b > c.gz): continue with the next one.
      if (inflateReset(&zs) != Z_OK) {
        break;
      }
      continue;
    }
    if (rc != Z_OK) {
      break;
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended inside a member
      break;
    }
  }
  const std::string message = zs.msg != nullptr ? zs.msg : "unexpected end of data";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return errorf(StatusCode::kDataLoss,
                  "%s: not a complete gzip stream (%s after %zu of %zu compressed bytes)",
                  source.c_str(), message.c_str(), compressed.size() - zs.avail_in,
                  compressed.size());
  }
  return out;
}

Result<std::string> read_data_file(const std::string& path) {
  if (is_regular_file(path)) {
    return read_file_to_string(path);
  }
  const std::string gz = path + ".gz";
  if (!is_regular_file(gz)) {
    return errorf(StatusCode::kNotFound, "cannot open '%s' (nor '%s'): no such file", path.c_str(),
                  gz.c_str());
  }
  HKV_ASSIGN_OR_RETURN(std::string compressed, read_file_to_string(gz));
  return gunzip(compressed, gz);
}

}  // namespace hkv
