// Where headkv finds its cache (default model, haystack) and the shared research data. Both are
// explicit, overridable locations: $HEADKV_CACHE and $HEADKV_DATA_DIR.
#pragma once

#include <string>

namespace hkv {

// $HEADKV_CACHE, else $HOME/.cache/headkv, else /tmp/headkv-cache.
std::string cache_dir();
// $HEADKV_DATA_DIR, else ../shared/data (relative to the working directory).
std::string data_dir();

// The bundled default model and haystack, as scripts/fetch-assets.sh lays them out in cache_dir().
std::string default_model_path();    // <cache>/models/SmolLM2-135M-Instruct.Q4_1.gguf
std::string default_haystack_dir();  // <cache>/haystack/PaulGrahamEssays

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
// Number of regular files ending in `suffix` directly inside `dir` (0 if it does not exist).
int count_files_with_suffix(const std::string& dir, const std::string& suffix);

}  // namespace hkv
