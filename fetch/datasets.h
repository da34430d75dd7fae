// `headkv data fetch`: the full public benchmark datasets from their authors' Hugging Face Hub
// repositories, laid out as the sweeps read them (common/paths.h):
//   longbench: datasets/THUDM/LongBench, data.zip -> <dest>/longbench/<dataset>.jsonl (v1 English
//              and Chinese, and the LongBench-E *_e files), unchanged lines;
//   babilong:  datasets/RMT-team/babilong, data/qaN/<length>.json -> <dest>/babilong/<length>/
//              qaN.jsonl with {"input", "question", "target"} per line.
// Each dataset folder gets a MANIFEST.json (fetch/manifest.h). Downloads are staged in
// <dest>/.partial/<dataset>/ and resume; the layout only ever receives verified, complete files.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "fetch/downloader.h"
#include "fetch/hub.h"

namespace hkv::fetch {

struct DatasetFetchOptions {
  std::string dest;      // data root; "" = <cache>/data
  std::string revision;  // "" = each dataset's default (main)
  std::vector<std::string> babilong_tasks = {"qa1", "qa2", "qa3", "qa4", "qa5"};
  std::vector<std::string> babilong_lengths = {"0k", "1k", "2k", "4k", "8k", "16k", "32k"};
  DownloadOptions download;
};

struct DatasetFetchReport {
  std::string folder;  // <dest>/<dataset>
  int64_t files = 0;   // files in the layout
  int64_t bytes = 0;
  bool up_to_date = false;  // nothing was downloaded
};

// "longbench" | "babilong".
std::vector<std::string> fetchable_datasets();
HubRepo dataset_repo(const std::string& dataset, const std::string& revision);

Result<DatasetFetchReport> fetch_dataset(const std::string& dataset,
                                         const DatasetFetchOptions& options);

// Conversions, exposed for tests. BABILong files may be a JSON array of records, an object of
// columns, or JSON Lines; the output is JSON Lines of {"input","question","target"}.
Result<std::string> babilong_json_to_jsonl(const std::string& text, const std::string& source);
// Extracts every "<name>.jsonl" entry of a zip (any folder inside it) into `out_dir`/<name>.jsonl;
// returns the names written.
Result<std::vector<std::string>> extract_jsonl_from_zip(const std::string& zip_path,
                                                        const std::string& out_dir);

}  // namespace hkv::fetch
