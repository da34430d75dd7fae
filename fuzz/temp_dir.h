// A per-process scratch folder under /tmp for harnesses whose target API takes a path: each input
// is written to a fixed file name there (overwritten per input) and the folder goes at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <unistd.h>

namespace hkv::fuzz {

class TempDir {
 public:
  // `tag` names the harness in the folder name: /tmp/hkv-fuzz-<tag>-XXXXXX.
  explicit TempDir(const std::string& tag) {
    std::string pattern = "/tmp/hkv-fuzz-" + tag + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("hkv fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::string& path() const { return path_; }

  // Writes `size` bytes to <dir>/<name> (replacing it) and returns its path. A write failure is
  // the harness's own problem, not a finding, so it aborts loudly.
  std::string write(const std::string& name, const uint8_t* data, size_t size) const {
    std::string file = path_ + "/" + name;
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::perror("hkv fuzz: open");
      std::abort();
    }
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) {
        std::perror("hkv fuzz: write");
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    return file;
  }

  // Removes <dir>/<name> if it is there.
  void remove(const std::string& name) const { ::unlink((path_ + "/" + name).c_str()); }

 private:
  std::string path_;
};

}  // namespace hkv::fuzz
