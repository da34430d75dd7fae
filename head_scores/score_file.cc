// Score-file parsing keeps the file's key order (nlohmann::ordered_json): the reference never
// parses the keys and maps position i to (i / H, i % H), so we both keep that order and insist
// that key i spells exactly that position.
#include "head_scores/score_file.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/data_file.h"
#include "common/strings.h"

namespace hkv::head_scores {
namespace {

// numpy's PW_BLOCKSIZE: blocks up to this size are summed with 8 interleaved accumulators.
constexpr size_t kPairwiseBlock = 128;
// Keys are bounded so that layer * heads can never overflow while we infer the shape.
constexpr int64_t kMaxKeyIndex = 1 << 20;

std::string head_key(int64_t layer, int64_t head) {
  return std::to_string(layer) + "-" + std::to_string(head);
}

// "12-7" -> (12, 7). Only the syntax is checked here; canonical spelling ("012-7" is rejected)
// falls out of the positional comparison in check_key_order.
bool parse_head_key(const std::string& key, int64_t* layer, int64_t* head) {
  size_t dash = key.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == key.size()) {
    return false;
  }
  auto parse_part = [](const char* first, const char* last, int64_t* out) {
    if (!std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    auto [ptr, ec] = std::from_chars(first, last, *out);
    return ec == std::errc() && ptr == last && *out < kMaxKeyIndex;
  };
  const char* begin = key.data();
  return parse_part(begin, begin + dash, layer) &&
         parse_part(begin + dash + 1, begin + key.size(), head);
}

// Python's float repr (shortest round-trip digits; exponent form when the decimal point
// position is <= -4 or > 16), which json.dumps uses for floats.
void append_python_float(double value, std::string* out) {
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);  // "-1.25e-05": shortest digits, always scientific
  bool negative = sci[0] == '-';
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (sci[i] != '.') {
      digits += sci[i];
    }
  }
  int exponent = std::stoi(sci.substr(e + 1));
  int decpt = exponent + 1;  // digits d1 d2 ... represent 0.d1d2... * 10^decpt
  int ndigits = static_cast<int>(digits.size());
  if (negative) {
    *out += '-';
  }
  if (decpt <= -4 || decpt > 16) {
    *out += digits[0];
    if (ndigits > 1) {
      *out += '.';
      out->append(digits, 1, std::string::npos);
    }
    *out += strformat("e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  } else if (decpt <= 0) {
    *out += "0.";
    out->append(static_cast<size_t>(-decpt), '0');
    *out += digits;
  } else if (decpt >= ndigits) {
    *out += digits;
    out->append(static_cast<size_t>(decpt - ndigits), '0');
    *out += ".0";
  } else {
    out->append(digits, 0, static_cast<size_t>(decpt));
    *out += '.';
    out->append(digits, static_cast<size_t>(decpt), std::string::npos);
  }
}

// One value of the top-level object: a list of numbers (ints and floats, as the reference writes).
Result<std::vector<double>> read_score_list(const nlohmann::ordered_json& value,
                                            const std::string& key) {
  if (!value.is_array()) {
    return errorf(StatusCode::kInvalidArgument, "key '%s': expected a list of scores, got %s",
                  key.c_str(), value.type_name());
  }
  std::vector<double> scores;
  scores.reserve(value.size());
  for (size_t j = 0; j < value.size(); ++j) {
    if (!value[j].is_number()) {
      return errorf(StatusCode::kInvalidArgument,
                    "key '%s': score [%zu] is a %s, expected a number", key.c_str(), j,
                    value[j].type_name());
    }
    scores.push_back(value[j].get<double>());
  }
  return scores;
}

struct ParsedKey {
  std::string text;
  int64_t layer = 0;
  int64_t head = 0;
};

Status missing_key_error(int64_t index, size_t num_keys, int64_t num_layers, int64_t num_heads) {
  return errorf(StatusCode::kInvalidArgument,
                "incomplete table: key '%s' is missing (%zu keys, expected %lld = %lld layers x "
                "%lld heads)",
                head_key(index / num_heads, index % num_heads).c_str(), num_keys,
                static_cast<long long>(num_layers * num_heads), static_cast<long long>(num_layers),
                static_cast<long long>(num_heads));
}

// Checks that the keys are exactly "0-0", "0-1", ..., in layer-major order, with no gaps. The
// first offending position decides the message: a head absent from the file is "missing", a head
// present elsewhere (or spelled "0-01") is out of order.
Status check_key_order(const std::vector<ParsedKey>& keys, int64_t num_layers, int64_t num_heads) {
  std::unordered_set<int64_t> present;
  for (const ParsedKey& key : keys) {
    present.insert(key.layer * num_heads + key.head);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const int64_t index = static_cast<int64_t>(i);
    std::string expected = head_key(index / num_heads, index % num_heads);
    if (keys[i].text == expected) {
      continue;
    }
    if (present.count(index) == 0) {
      return missing_key_error(index, keys.size(), num_layers, num_heads);
    }
    return errorf(StatusCode::kInvalidArgument,
                  "key '%s' at position %zu, expected '%s': keys must be in layer-major order",
                  keys[i].text.c_str(), i, expected.c_str());
  }
  if (static_cast<int64_t>(keys.size()) < num_layers * num_heads) {
    return missing_key_error(static_cast<int64_t>(keys.size()), keys.size(), num_layers, num_heads);
  }
  return Status::ok_status();
}

Result<HeadScoreTable> parse_ordered(const nlohmann::ordered_json& root) {
  if (!root.is_object()) {
    return errorf(StatusCode::kInvalidArgument,
                  "expected an object mapping \"layer-head\" to score lists, got %s",
                  root.type_name());
  }
  if (root.empty()) {
    return Status(StatusCode::kInvalidArgument, "the score object has no heads");
  }
  std::vector<ParsedKey> keys;
  std::vector<std::vector<double>> scores;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  for (const auto& [key, value] : root.items()) {
    int64_t layer = 0;
    int64_t head = 0;
    if (!parse_head_key(key, &layer, &head)) {
      return errorf(StatusCode::kInvalidArgument,
                    "key '%s' at position %zu is not \"<layer>-<head>\" (e.g. \"12-7\")",
                    key.c_str(), keys.size());
    }
    num_layers = std::max(num_layers, layer + 1);
    num_heads = std::max(num_heads, head + 1);
    HKV_ASSIGN_OR_RETURN(std::vector<double> list, read_score_list(value, key));
    keys.push_back({key, layer, head});
    scores.push_back(std::move(list));
  }
  HKV_RETURN_IF_ERROR(check_key_order(keys, num_layers, num_heads));
  return make_score_table(static_cast<int32_t>(num_layers), static_cast<int32_t>(num_heads),
                          std::move(scores));
}

}  // namespace

double numpy_pairwise_sum(std::span<const double> values) {
  const size_t n = values.size();
  const double* a = values.data();
  if (n < 8) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
      sum += a[i];
    }
    return sum;
  }
  if (n <= kPairwiseBlock) {
    double r[8];
    for (size_t j = 0; j < 8; ++j) {
      r[j] = a[j];
    }
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (size_t j = 0; j < 8; ++j) {
        r[j] += a[i + j];
      }
    }
    // The combination order is numpy's; changing the parentheses changes the last bit.
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) {
      sum += a[i];
    }
    return sum;
  }
  // Halve, keeping the first half a multiple of the 8-way unroll.
  size_t half = n / 2;
  half -= half % 8;
  return numpy_pairwise_sum(values.first(half)) + numpy_pairwise_sum(values.subspan(half));
}

double numpy_mean(std::span<const double> values) {
  HKV_CHECK(!values.empty()) << "numpy_mean of an empty list";
  return numpy_pairwise_sum(values) / static_cast<double>(values.size());
}

Result<HeadScoreTable> make_score_table(int32_t num_layers,
                                        int32_t num_heads,
                                        std::vector<std::vector<double>> scores) {
  if (num_layers <= 0 || num_heads <= 0) {
    return errorf(StatusCode::kInvalidArgument, "score table shape %d x %d must be positive",
                  num_layers, num_heads);
  }
  int64_t entries = static_cast<int64_t>(num_layers) * num_heads;
  if (static_cast<int64_t>(scores.size()) != entries) {
    return errorf(StatusCode::kInvalidArgument,
                  "score table has %zu entries, expected %lld = %d layers x %d heads",
                  scores.size(), static_cast<long long>(entries), num_layers, num_heads);
  }
  HeadScoreTable table;
  table.num_layers = num_layers;
  table.num_heads = num_heads;
  table.means.reserve(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    const std::vector<double>& list = scores[i];
    std::string key =
        head_key(static_cast<int64_t>(i) / num_heads, static_cast<int64_t>(i) % num_heads);
    if (list.empty()) {
      return errorf(StatusCode::kInvalidArgument, "key '%s' has an empty score list", key.c_str());
    }
    if (list.size() != scores[0].size()) {
      return errorf(StatusCode::kInvalidArgument,
                    "key '%s' has %zu scores, expected %zu like '0-0' (all lists must have the "
                    "same length)",
                    key.c_str(), list.size(), scores[0].size());
    }
    for (size_t j = 0; j < list.size(); ++j) {
      if (!std::isfinite(list[j])) {
        return errorf(StatusCode::kInvalidArgument, "key '%s': score [%zu] = %g is not finite",
                      key.c_str(), j, list[j]);
      }
    }
    table.means.push_back(numpy_mean(list));
  }
  table.num_samples = static_cast<int32_t>(scores[0].size());
  table.scores = std::move(scores);
  return table;
}

Result<HeadScoreTable> parse_score_json(std::string_view text, std::string_view source) {
  nlohmann::ordered_json root;
  try {
    root = nlohmann::ordered_json::parse(text.begin(), text.end());
  } catch (const nlohmann::ordered_json::exception& e) {
    return errorf(StatusCode::kInvalidArgument, "%.*s: malformed JSON: %s",
                  static_cast<int>(source.size()), source.data(), e.what());
  }
  Result<HeadScoreTable> table = parse_ordered(root);
  if (!table.ok()) {
    return table.status().with_context("%.*s", static_cast<int>(source.size()), source.data());
  }
  return table;
}

Result<HeadScoreTable> load_score_file(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(std::string text, read_data_file(path));
  return parse_score_json(text, path);
}

std::string format_score_json(const HeadScoreTable& table) {
  std::string out = "{";
  for (size_t i = 0; i < table.scores.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += '"';
    out += head_key(static_cast<int64_t>(i) / table.num_heads,
                    static_cast<int64_t>(i) % table.num_heads);
    out += "\": [";
    for (size_t j = 0; j < table.scores[i].size(); ++j) {
      if (j > 0) {
        out += ", ";
      }
      double v = table.scores[i][j];
      if (v == 0.0) {
        out += '0';  // the detection scripts record a missed test as the integer 0
      } else {
        append_python_float(v, &out);
      }
    }
    out += ']';
  }
  out += '}';
  return out;
}

Status save_score_file(const HeadScoreTable& table, const std::string& path) {
  std::string text = format_score_json(table);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return errorf(StatusCode::kFailedPrecondition, "cannot write score file '%s': %s", path.c_str(),
                  std::strerror(errno));
  }
  size_t written = std::fwrite(text.data(), 1, text.size(), file);
  bool closed = std::fclose(file) == 0;
  if (written != text.size() || !closed) {
    return errorf(StatusCode::kDataLoss, "writing score file '%s' failed after %zu of %zu bytes",
                  path.c_str(), written, text.size());
  }
  return Status::ok_status();
}

}  // namespace hkv::head_scores
