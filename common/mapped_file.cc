// POSIX mmap implementation of MappedFile.
#include "common/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace hkv {
namespace {

Status errno_status(const char* what, const std::string& path, int err) {
  StatusCode code =
      (err == ENOENT || err == ENOTDIR) ? StatusCode::kNotFound : StatusCode::kFailedPrecondition;
  return errorf(code, "%s '%s': %s", what, path.c_str(), std::strerror(err));
}

}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno_status("cannot open", path, errno);
  }

  struct stat st {};

  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errno_status("cannot stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return errorf(StatusCode::kFailedPrecondition, "'%s' is not a regular file", path.c_str());
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<uint64_t>(st.st_size);
  if (file.size_ > 0) {
    void* addr = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return errno_status("cannot mmap", path, err);
    }
    file.data_ = static_cast<const uint8_t*>(addr);
  }
  ::close(fd);  // The mapping stays valid after close.
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  reset();
}

void MappedFile::reset() {
  if (data_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  data_ = nullptr;
  size_ = 0;
}

Result<std::span<const uint8_t>> MappedFile::span(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) {
    return errorf(StatusCode::kOutOfRange,
                  "'%s': byte range [%llu, +%llu) exceeds the file size %llu", path_.c_str(),
                  static_cast<unsigned long long>(offset), static_cast<unsigned long long>(length),
                  static_cast<unsigned long long>(size_));
  }
  return std::span<const uint8_t>(data_ + offset, static_cast<size_t>(length));
}

Result<std::string> read_file_to_string(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  auto bytes = file.bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace hkv
