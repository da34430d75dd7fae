// JSON Lines reading with errors that name the file and the 1-based line:
// "data/qasper.jsonl:12: $.answers: expected array, got string".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace hkv::jobs {

struct JsonlRecord {
  size_t line = 0;  // 1-based line number in the source
  Json value;       // always an object
};

// Parses `text` as JSON Lines: one JSON object per '\n'-terminated line (a trailing '\r' is
// ignored). Lines holding only whitespace are skipped but still counted. Stops after
// `max_records` records without reading further lines. Errors start with "<source>:<line>:".
Result<std::vector<JsonlRecord>> parse_jsonl(std::string_view text,
                                             std::string_view source,
                                             size_t max_records);

// parse_jsonl over the file at `path` (NotFound when it is missing); `source` is the path.
Result<std::vector<JsonlRecord>> read_jsonl(const std::string& path, size_t max_records);

// Prefixes a field error from JsonRef access (rooted at "$") with "<source>:<line>: ".
Status jsonl_record_error(std::string_view source, size_t line, const Status& status);

}  // namespace hkv::jobs
