// Reading benchmark data that may be stored gzip-compressed. The repository ships large data files
// as NAME.gz (data/PROVENANCE.md); fetched or user-provided data is usually plain. Every reader of
// research data (JSONL, JSON, haystack text) goes through these, so both forms work everywhere.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace hkv {

// `path` if it is a regular file, else `path`.gz if that is, else nullopt.
std::optional<std::string> existing_data_file(const std::string& path);

// The contents of `path`, or of `path`.gz decompressed. NotFound names `path` when neither exists;
// DataLoss names the .gz file when it is not valid gzip or is truncated.
Result<std::string> read_data_file(const std::string& path);

// Decompresses a whole gzip stream (one or more members). `source` names it in errors.
Result<std::string> gunzip(const std::string& compressed, const std::string& source);

}  // namespace hkv
