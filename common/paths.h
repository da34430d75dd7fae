// Where headkv finds its cache (models) and its research data (benchmarks, haystacks, published
// head scores, tokenizer fixtures).
//
// Data files are named relative to a data root ("babilong/0k/qa1.jsonl") and looked up in the data
// search path, first match wins:
//   1. an explicit root (--data-dir), if given;
//   2. $HEADKV_DATA_DIR, if set;
//   3. <cache>/data, where `headkv data fetch` puts the full datasets by default;
//   4. the data shipped with headkv: share/headkv/data beside the binary (installed bundles), else
//      the source tree's data/ (build trees).
// So fetched full datasets take over from the shipped slices file by file, and a fresh clone finds
// what its demo and tests need without any setup.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace hkv {

// $HEADKV_CACHE, else $HOME/.cache/headkv, else /tmp/headkv-cache.
std::string cache_dir();
// <cache>/data: the default destination of `headkv data fetch`.
std::string fetched_data_dir();
// The data shipped with headkv (see above); empty if neither location exists.
std::string shipped_data_dir();
// The search path above, existing folders only, without duplicates.
std::vector<std::string> data_search_path(const std::string& explicit_root = "");
// The first root holding `relative` (a file, or NAME.gz) as a full path; NotFound lists the roots
// searched and says how to get the data.
Result<std::string> find_data_file(const std::string& relative,
                                   const std::string& explicit_root = "");
// The first root holding the folder `relative`; NotFound as above.
Result<std::string> find_data_dir(const std::string& relative,
                                  const std::string& explicit_root = "");

// The default model as scripts/fetch-assets.sh lays it out in cache_dir().
std::string default_model_path();  // <cache>/models/SmolLM2-135M-Instruct.Q4_1.gguf
// The needle haystack: the Paul Graham essays folder (pg_essays/) in the data search path.
std::string default_haystack_dir(const std::string& explicit_root = "");

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
// Number of regular files ending in `suffix` directly inside `dir` (0 if it does not exist).
int count_files_with_suffix(const std::string& dir, const std::string& suffix);
// The folder holding the running executable (from /proc/self/exe); empty if unknown.
std::string executable_dir();

}  // namespace hkv
