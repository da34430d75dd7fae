// JSON Lines parsing over whole-file reads; nlohmann exceptions stay inside parse_json.
#include "benchmarks/jsonl.h"

#include "common/data_file.h"
#include "common/strings.h"

namespace hkv::jobs {

namespace {

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<JsonlRecord>> parse_jsonl(std::string_view text,
                                             std::string_view source,
                                             size_t max_records) {
  std::vector<JsonlRecord> records;
  size_t start = 0;
  size_t line_number = 0;
  while (start < text.size() && records.size() < max_records) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (is_blank(line)) {
      continue;
    }
    const std::string where =
        strformat("%.*s:%zu", static_cast<int>(source.size()), source.data(), line_number);
    HKV_ASSIGN_OR_RETURN(Json value, parse_json(line, where));
    if (!value.is_object()) {
      return errorf(StatusCode::kInvalidArgument, "%s: expected a JSON object per line, got %s",
                    where.c_str(), json_type_name(value));
    }
    records.push_back(JsonlRecord{line_number, std::move(value)});
  }
  return records;
}

Result<std::vector<JsonlRecord>> read_jsonl(const std::string& path, size_t max_records) {
  HKV_ASSIGN_OR_RETURN(std::string text, read_data_file(path));
  return parse_jsonl(text, path, max_records);
}

Status jsonl_record_error(std::string_view source, size_t line, const Status& status) {
  return status.with_context("%.*s:%zu", static_cast<int>(source.size()), source.data(), line);
}

}  // namespace hkv::jobs
