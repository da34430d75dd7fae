// Environment-driven locations; no global state beyond the environment itself.
#include "common/paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace hkv {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

}  // namespace

std::string cache_dir() {
  std::string dir = env_or_empty("HEADKV_CACHE");
  if (!dir.empty()) {
    return dir;
  }
  std::string home = env_or_empty("HOME");
  if (!home.empty()) {
    return home + "/.cache/headkv";
  }
  return "/tmp/headkv-cache";
}

std::string data_dir() {
  std::string dir = env_or_empty("HEADKV_DATA_DIR");
  return dir.empty() ? std::string("../shared/data") : dir;
}

std::string default_model_path() {
  return cache_dir() + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

std::string default_haystack_dir() {
  return cache_dir() + "/haystack/PaulGrahamEssays";
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

int count_files_with_suffix(const std::string& dir, const std::string& suffix) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return 0;
  }
  int count = 0;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ++count;
    }
  }
  return count;
}

}  // namespace hkv
