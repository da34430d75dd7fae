// `headkv model fetch ORG/NAME`: a Hugging Face model repository's config, tokenizer and
// safetensors weights into <cache>/models/NAME (the folder the example sweeps name), through the
// same verified, resumable downloads as the datasets. Gated repositories (Llama 3) need HF_TOKEN
// of an account that accepted the licence.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "fetch/downloader.h"
#include "fetch/hub.h"

namespace hkv::fetch {

inline constexpr const char* kModelManifestName = "headkv-manifest.json";

struct ModelFetchOptions {
  std::string repo_id;  // "meta-llama/Meta-Llama-3-8B-Instruct"
  std::string revision = "main";
  std::string dest;  // "" = <cache>/models/<NAME>
  DownloadOptions download;
};

struct ModelFetchReport {
  std::string folder;
  int64_t files = 0;
  int64_t bytes = 0;
  bool up_to_date = false;
};

// The files headkv loads from a model repository (top level only): config.json,
// generation_config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// model.safetensors.index.json and *.safetensors. FailedPrecondition when config.json,
// tokenizer.json or every .safetensors file is missing, naming what the repository has instead.
Result<std::vector<HubFile>> choose_model_files(const std::vector<HubFile>& listing,
                                                const std::string& repo_id);

Result<ModelFetchReport> fetch_model(const ModelFetchOptions& options);

}  // namespace hkv::fetch
