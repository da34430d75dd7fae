// Heads blocks: validation, expansion into one unit per needle test, and the JSON forms of the unit
// settings and of a test's per-head scores.
#include "jobs/heads_spec.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/paths.h"
#include "common/strings.h"

namespace hkv::jobs {
namespace {

Status invalid_at(const std::string& path, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, path + ": " + message);
}

Result<int32_t> parse_int(std::string_view text, std::string_view what, std::string_view key) {
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "heads sample key '%.*s': %.*s '%.*s' is not a non-negative integer",
                  static_cast<int>(key.size()), key.data(), static_cast<int>(what.size()),
                  what.data(), static_cast<int>(text.size()), text.data());
  }
  return value;
}

}  // namespace

bool is_heads_kind(std::string_view kind) {
  return kind == kHeadsRetrieval || kind == kHeadsReasoning;
}

int32_t default_heads_needles(std::string_view kind) {
  return kind == kHeadsReasoning ? 2 : 3;
}

Result<std::string> heads_haystack_dir(const std::string& root,
                                       const std::string& data_root,
                                       std::string_view kind) {
  const std::string sub =
      kind == kHeadsReasoning ? "haystack_for_detect_r2" : "haystack_for_detect";
  if (!root.empty()) {
    return root + "/" + sub;
  }
  return find_data_dir("retrieval_haystack/" + sub, data_root);
}

std::vector<int32_t> default_heads_lengths() {
  return {0, 2500, 5000, 7500, 10000};
}

std::string heads_options_to_json(const HeadsUnitOptions& o) {
  return dump_json(Json{{"haystack_root", o.haystack_root},
                        {"needles", o.needles},
                        {"haystack_words", o.haystack_words},
                        {"min_score", o.min_score},
                        {"max_decode_steps", o.max_decode_steps},
                        {"reasoning_steps", o.reasoning_steps}});
}

Result<HeadsUnitOptions> heads_options_from_json(std::string_view text, std::string_view source) {
  HKV_ASSIGN_OR_RETURN(Json json, parse_json(text, source));
  JsonRef r(json, std::string(source));
  HeadsUnitOptions o;
  HKV_ASSIGN_OR_RETURN(o.haystack_root, r.get<std::string>("haystack_root"));
  HKV_ASSIGN_OR_RETURN(o.needles, r.get<int32_t>("needles"));
  HKV_ASSIGN_OR_RETURN(o.haystack_words, r.get<int32_t>("haystack_words"));
  HKV_ASSIGN_OR_RETURN(o.min_score, r.get<double>("min_score"));
  HKV_ASSIGN_OR_RETURN(o.max_decode_steps, r.get<int32_t>("max_decode_steps"));
  HKV_ASSIGN_OR_RETURN(o.reasoning_steps, r.get<int32_t>("reasoning_steps"));
  if (o.needles < 1 || o.haystack_words < 0 || o.max_decode_steps < 1 || o.reasoning_steps < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "%.*s: needles %d (>= 1), haystack_words %d (>= 0), max_decode_steps %d (>= 1), "
                  "reasoning_steps %d (>= 0) out of range",
                  static_cast<int>(source.size()), source.data(), o.needles, o.haystack_words,
                  o.max_decode_steps, o.reasoning_steps);
  }
  return o;
}

std::string heads_test_key(const HeadsTestKey& k) {
  return strformat("%d:%d:%d", k.needle, k.length, k.depth);
}

Result<HeadsTestKey> parse_heads_test_key(std::string_view key) {
  std::vector<std::string> parts = split(key, ':');
  if (parts.size() != 3) {
    return errorf(StatusCode::kInvalidArgument,
                  "heads sample key '%.*s': expected 'needle:length:depth'",
                  static_cast<int>(key.size()), key.data());
  }
  HeadsTestKey k;
  HKV_ASSIGN_OR_RETURN(k.needle, parse_int(parts[0], "needle", key));
  HKV_ASSIGN_OR_RETURN(k.length, parse_int(parts[1], "length", key));
  HKV_ASSIGN_OR_RETURN(k.depth, parse_int(parts[2], "depth", key));
  if (k.depth > 100) {
    return errorf(StatusCode::kInvalidArgument, "heads sample key '%.*s': depth %d > 100",
                  static_cast<int>(key.size()), key.data(), k.depth);
  }
  return k;
}

std::string head_test_scores_to_json(const HeadTestScores& s) {
  return dump_json(Json{{"num_layers", s.num_layers},
                        {"num_heads", s.num_heads},
                        {"span_found", s.span_found},
                        {"kept", s.kept},
                        {"scores", s.scores}});
}

Result<HeadTestScores> head_test_scores_from_json(std::string_view text, std::string_view source) {
  HKV_ASSIGN_OR_RETURN(Json json, parse_json(text, source));
  JsonRef r(json, std::string(source));
  HeadTestScores s;
  HKV_ASSIGN_OR_RETURN(s.num_layers, r.get<int32_t>("num_layers"));
  HKV_ASSIGN_OR_RETURN(s.num_heads, r.get<int32_t>("num_heads"));
  HKV_ASSIGN_OR_RETURN(s.span_found, r.get<bool>("span_found"));
  HKV_ASSIGN_OR_RETURN(s.kept, r.get<bool>("kept"));
  HKV_ASSIGN_OR_RETURN(JsonRef scores, r.at("scores"));
  HKV_ASSIGN_OR_RETURN(s.scores, scores.as_vector<double>());
  if (s.num_layers < 1 || s.num_heads < 1 ||
      s.scores.size() != static_cast<size_t>(s.num_layers) * s.num_heads) {
    return errorf(StatusCode::kInvalidArgument,
                  "%.*s: %zu scores for %d layers x %d heads (expected one per head)",
                  static_cast<int>(source.size()), source.data(), s.scores.size(), s.num_layers,
                  s.num_heads);
  }
  return s;
}

Status validate_heads_block(const BenchmarkSpec& b, const std::string& path) {
  if (b.heads_needles < 0) {
    return invalid_at(path + ".needles",
                      strformat("%d, expected >= 1 (or absent: the kind's own)", b.heads_needles));
  }
  if (!(b.heads_min_score >= -1.0 && b.heads_min_score <= 100.0)) {
    return invalid_at(path + ".min_score", strformat("%g, expected -1..100", b.heads_min_score));
  }
  if (b.heads_max_decode_steps < 1) {
    return invalid_at(path + ".max_decode_steps",
                      strformat("%d, expected >= 1", b.heads_max_decode_steps));
  }
  if (b.heads_reasoning_steps < 0) {
    return invalid_at(
        path + ".reasoning_steps",
        strformat("%d, expected >= 0 (0 = the answer's length)", b.heads_reasoning_steps));
  }
  return Status();
}

void expand_heads_block(const BenchmarkSpec& b, std::vector<WorkUnit>* units) {
  HeadsUnitOptions o;
  o.haystack_root = b.heads_haystack_root;
  o.haystack_words = b.needle_lengths_tokens.empty() ? 0 : b.needle_lengths_tokens.back();
  o.min_score = b.heads_min_score;
  o.max_decode_steps = b.heads_max_decode_steps;
  o.reasoning_steps = b.heads_reasoning_steps;
  for (const std::string& kind : b.datasets) {
    o.needles = b.heads_needles > 0 ? b.heads_needles : default_heads_needles(kind);
    std::string options = heads_options_to_json(o);
    for (int32_t needle = 0; needle < o.needles; ++needle) {
      for (int32_t length : b.needle_lengths_tokens) {
        for (int32_t depth : b.needle_depths_percent) {
          units->push_back(
              {Benchmark::kHeads, kind, heads_test_key({needle, length, depth}), options});
        }
      }
    }
  }
}

const std::vector<CompressionConfig>& ExpandedSweep::configs_for(const WorkUnit& unit) const {
  return unit.benchmark == Benchmark::kHeads ? detection : configs;
}

}  // namespace hkv::jobs
