// Environment-driven locations; no global state beyond the environment itself.
#include "common/paths.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <unistd.h>

#include "common/data_file.h"

#ifndef HKV_SOURCE_DATA_DIR
#error "HKV_SOURCE_DATA_DIR must be defined by the hkv_common target"
#endif

namespace hkv {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

std::string search_path_text(const std::vector<std::string>& roots) {
  std::string text;
  for (const std::string& r : roots) {
    text += text.empty() ? "" : ", ";
    text += r;
  }
  return text.empty() ? "(no data folder exists)" : text;
}

std::string missing_data_hint(const std::string& relative) {
  const std::string top = relative.substr(0, relative.find('/'));
  if (top == "longbench" || top == "babilong") {
    return "run `headkv data fetch " + top +
           "` for the full dataset, or pass --data-dir / set "
           "$HEADKV_DATA_DIR to a folder holding it";
  }
  return "pass --data-dir or set $HEADKV_DATA_DIR to a folder holding it";
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

std::string fetched_data_dir() {
  return cache_dir() + "/data";
}

std::string executable_dir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::string shipped_data_dir() {
  const std::string exe = executable_dir();
  if (!exe.empty()) {
    std::string installed = exe + "/../share/headkv/data";
    if (is_directory(installed)) {
      return std::filesystem::path(installed).lexically_normal().string();
    }
  }
  return is_directory(HKV_SOURCE_DATA_DIR) ? std::string(HKV_SOURCE_DATA_DIR) : std::string();
}

std::vector<std::string> data_search_path(const std::string& explicit_root) {
  std::vector<std::string> roots;
  for (const std::string& r :
       {explicit_root, env_or_empty("HEADKV_DATA_DIR"), fetched_data_dir(), shipped_data_dir()}) {
    if (!r.empty() && is_directory(r) && std::find(roots.begin(), roots.end(), r) == roots.end()) {
      roots.push_back(r);
    }
  }
  return roots;
}

Result<std::string> find_data_file(const std::string& relative, const std::string& explicit_root) {
  const std::vector<std::string> roots = data_search_path(explicit_root);
  for (const std::string& root : roots) {
    if (existing_data_file(root + "/" + relative)) {
      return root + "/" + relative;
    }
  }
  return errorf(StatusCode::kNotFound,
                "data file '%s' (or .gz) not found in the data path [%s]: %s", relative.c_str(),
                search_path_text(roots).c_str(), missing_data_hint(relative).c_str());
}

Result<std::string> find_data_dir(const std::string& relative, const std::string& explicit_root) {
  const std::vector<std::string> roots = data_search_path(explicit_root);
  for (const std::string& root : roots) {
    if (is_directory(root + "/" + relative)) {
      return root + "/" + relative;
    }
  }
  return errorf(StatusCode::kNotFound, "data folder '%s' not found in the data path [%s]: %s",
                relative.c_str(), search_path_text(roots).c_str(),
                missing_data_hint(relative).c_str());
}

std::string default_model_path() {
  return cache_dir() + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";
}

std::string default_haystack_dir(const std::string& explicit_root) {
  Result<std::string> dir = find_data_dir("pg_essays", explicit_root);
  return dir.ok() ? *dir : shipped_data_dir() + "/pg_essays";
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
