// `headkv data fetch|verify` and `headkv model fetch`: the full public datasets and Hugging Face
// models, downloaded with resume and checked against the Hub's sizes and checksums (fetch/).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fetch/datasets.h"
#include "fetch/model_fetch.h"

namespace hkv::cli {

struct FetchCli {
  std::vector<std::string> datasets;  // longbench | babilong | all
  fetch::DatasetFetchOptions data;
  std::string verify_dest;
  fetch::ModelFetchOptions model;
  int retries = 4;
  bool quiet = false;
  CLI::App* data_cmd = nullptr;
  CLI::App* data_fetch_cmd = nullptr;
  CLI::App* data_verify_cmd = nullptr;
  CLI::App* model_cmd = nullptr;
  CLI::App* model_fetch_cmd = nullptr;
};

void add_fetch_commands(CLI::App& app, FetchCli* cli);
std::optional<int> dispatch_fetch_commands(const FetchCli& cli);

// `headkv data verify`: every manifest under `dest` ("" = <cache>/data), sha256 included.
int run_data_verify(const std::string& dest);

}  // namespace hkv::cli
