// Where score files live: the shipped SmolLM2 files beside the binaries (or $HEADKV_SCORES_DIR),
// and the `retrieval` / `reasoning` aliases resolved to a model's published file by the
// reference's model-name test.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/data_file.h"
#include "common/paths.h"
#include "head_scores/score_file.h"

namespace hkv::head_scores {

std::string shipped_scores_dir() {
  if (const char* env = std::getenv("HEADKV_SCORES_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path installed = exe.parent_path().parent_path() / "share/headkv/head_scores";
    if (std::filesystem::is_directory(installed, ec)) {
      return installed.string();
    }
  }
  return HKV_SHIPPED_SCORES_DIR;
}

Result<std::string> resolve_score_path(std::string_view file_or_alias,
                                       std::string_view model_hint,
                                       const std::string& data_dir) {
  const char* suffix = nullptr;
  if (file_or_alias == "retrieval") {
    suffix = "_retrieval_heads.json";  // HeadKV-R
  } else if (file_or_alias == "reasoning") {
    suffix = "_retrieval_reasoning_heads.json";  // HeadKV-R2
  } else {
    return std::string(file_or_alias);
  }
  std::string hint(model_hint);
  std::transform(hint.begin(), hint.end(), hint.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (hint.find("smollm2") != std::string::npos) {
    // headkv's own detection results for the default model, shipped with the binaries.
    std::string path = shipped_scores_dir() + "/SmolLM2-135M-Instruct" + suffix;
    if (!path_exists(path)) {
      return errorf(StatusCode::kNotFound,
                    "score file '%s' for alias '%.*s' not found (set $HEADKV_SCORES_DIR)",
                    path.c_str(), static_cast<int>(file_or_alias.size()), file_or_alias.data());
    }
    return path;
  }
  // Same substring test and precedence as the reference ('llama' first, then 'mistral').
  const char* model = nullptr;
  if (hint.find("llama") != std::string::npos) {
    model = "Meta-Llama-3-8B-Instruct";
  } else if (hint.find("mistral") != std::string::npos) {
    model = "Mistral-7B-Instruct-v0.2";
  } else {
    return errorf(StatusCode::kInvalidArgument,
                  "score alias '%.*s' needs a model name containing 'llama' or 'mistral' (got "
                  "'%.*s')",
                  static_cast<int>(file_or_alias.size()), file_or_alias.data(),
                  static_cast<int>(model_hint.size()), model_hint.data());
  }
  Result<std::string> path = find_data_file(std::string("head_scores/") + model + suffix, data_dir);
  if (!path.ok()) {
    return path.status().with_context("score alias '%.*s'", static_cast<int>(file_or_alias.size()),
                                      file_or_alias.data());
  }
  return *path;
}

Result<std::string> resolve_score_path(std::string_view file_or_alias,
                                       std::string_view model_hint) {
  return resolve_score_path(file_or_alias, model_hint, "");
}

}  // namespace hkv::head_scores
