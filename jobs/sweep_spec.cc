// Sweep spec parsing: YAML is converted to the same Json tree as JSON input, so one reader with
// path-aware errors serves both; semantic checks (validate_sweep_spec) run on the typed struct.
// yaml-cpp throws, so every yaml-cpp call stays inside parse_document's try block.
#include "jobs/sweep_spec.h"

#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <yaml-cpp/yaml.h>

#include "common/strings.h"

namespace hkv::jobs {
namespace {

constexpr int kMaxYamlDepth = 64;  // sweep files are shallow; this bounds the recursion

// YAML 1.2 core-schema resolution of a plain (unquoted) scalar: null, bool, int, float, string.
Json plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return Json(nullptr);
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return Json(true);
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return Json(false);
  }
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  int64_t integer = 0;
  auto [int_end, int_ec] = std::from_chars(begin, end, integer);
  if (int_ec == std::errc() && int_end == end) {
    return Json(integer);
  }
  // A float must contain a digit, so names like "nan" or "inf" stay strings.
  double real = 0.0;
  auto [real_end, real_ec] = std::from_chars(begin, end, real);
  if (real_ec == std::errc() && real_end == end && text.find_first_of("0123456789") != text.npos) {
    return Json(real);
  }
  return Json(text);
}

Result<Json> yaml_to_json(const YAML::Node& node, const std::string& path, int depth) {
  if (depth > kMaxYamlDepth) {
    return errorf(StatusCode::kInvalidArgument, "%s: nested deeper than %d levels", path.c_str(),
                  kMaxYamlDepth);
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      // Quoted scalars carry the tag "!", explicit !!str the full tag: both stay strings.
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") {
        return Json(node.Scalar());
      }
      return plain_scalar(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        HKV_ASSIGN_OR_RETURN(
            Json item, yaml_to_json(node[i], path + "[" + std::to_string(i) + "]", depth + 1));
        out.push_back(std::move(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return errorf(StatusCode::kInvalidArgument, "%s: map keys must be scalars", path.c_str());
        }
        const std::string& key = entry.first.Scalar();
        std::string child = path.empty() ? key : path + "." + key;
        if (out.contains(key)) {
          return errorf(StatusCode::kInvalidArgument, "%s: duplicate key", child.c_str());
        }
        HKV_ASSIGN_OR_RETURN(out[key], yaml_to_json(entry.second, child, depth + 1));
      }
      return out;
    }
  }
  return errorf(StatusCode::kInternal, "%s: unknown YAML node type", path.c_str());
}

Result<Json> parse_document(std::string_view text, std::string_view source) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != text.npos && text[first] == '{') {
    return parse_json(text, source);
  }
  try {
    YAML::Node root = YAML::Load(std::string(text));
    Result<Json> json = yaml_to_json(root, "", 0);
    if (!json.ok()) {
      return json.status().with_context("%.*s", static_cast<int>(source.size()), source.data());
    }
    return json;
  } catch (const YAML::Exception& e) {
    return errorf(StatusCode::kInvalidArgument, "%.*s: malformed YAML at line %d, column %d: %s",
                  static_cast<int>(source.size()), source.data(), e.mark.line + 1,
                  e.mark.column + 1, e.msg.c_str());
  } catch (const std::exception& e) {
    return errorf(StatusCode::kInvalidArgument, "%.*s: cannot read YAML: %s",
                  static_cast<int>(source.size()), source.data(), e.what());
  }
}

// Rejects members outside `allowed`, so a typo ("budget:") is an error rather than a default.
Status check_keys(const JsonRef& object, std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) {
    const std::string& path = object.path();
    return errorf(StatusCode::kInvalidArgument, "%s: expected a mapping, got %s",
                  path.empty() ? "top level" : path.c_str(), json_type_name(object.raw()));
  }
  for (const auto& [key, value] : object.raw().items()) {
    bool known = false;
    for (std::string_view name : allowed) {
      known = known || key == name;
    }
    if (!known) {
      std::string names;
      for (std::string_view name : allowed) {
        names += (names.empty() ? "" : ", ") + std::string(name);
      }
      return errorf(StatusCode::kInvalidArgument, "%s.%s: unknown field (expected one of: %s)",
                    object.path().c_str(), key.c_str(), names.c_str());
    }
  }
  return Status();
}

// A list, or a single scalar meaning a one-element list ("budgets: 128").
template <typename T>
Result<std::vector<T>> get_list(const JsonRef& parent, std::string_view key) {
  HKV_ASSIGN_OR_RETURN(JsonRef node, parent.at(key));
  if (!node.is_array()) {
    HKV_ASSIGN_OR_RETURN(T value, node.as<T>());
    return std::vector<T>{std::move(value)};
  }
  return node.as_vector<T>();
}

template <typename T>
Result<std::vector<T>> get_list_or(const JsonRef& parent,
                                   std::string_view key,
                                   std::vector<T> fallback) {
  if (!parent.has(key)) {
    return fallback;
  }
  return get_list<T>(parent, key);
}

Result<std::vector<int32_t>> parse_needle_lengths(const JsonRef& block) {
  HKV_ASSIGN_OR_RETURN(JsonRef node, block.at("lengths"));
  if (node.is_array()) {
    return node.as_vector<int32_t>();
  }
  HKV_RETURN_IF_ERROR(check_keys(node, {"start", "stop", "step"}));
  HKV_ASSIGN_OR_RETURN(int32_t start, node.get<int32_t>("start"));
  HKV_ASSIGN_OR_RETURN(int32_t stop, node.get<int32_t>("stop"));
  HKV_ASSIGN_OR_RETURN(int32_t step, node.get<int32_t>("step"));
  if (step <= 0 || start <= 0 || stop < start) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: expected 0 < start <= stop and step > 0, got start=%d stop=%d step=%d",
                  node.path().c_str(), start, stop, step);
  }
  // `stop` is inclusive: the reference's "1000 8001 1000" means 1000, 2000, ..., 8000.
  std::vector<int32_t> lengths;
  for (int64_t length = start; length <= stop; length += step) {
    lengths.push_back(static_cast<int32_t>(length));
  }
  return lengths;
}

Result<std::vector<int32_t>> parse_needle_depths(const JsonRef& block) {
  if (!block.has("depths")) {
    return needle_depths_from_count(10);  // the reference's grid
  }
  HKV_ASSIGN_OR_RETURN(JsonRef node, block.at("depths"));
  if (node.is_array()) {
    return node.as_vector<int32_t>();
  }
  HKV_ASSIGN_OR_RETURN(int32_t count, node.as<int32_t>());
  if (count < 1 || count > 101) {
    return errorf(StatusCode::kInvalidArgument, "%s: depth count %d, expected 1..101",
                  node.path().c_str(), count);
  }
  return needle_depths_from_count(count);
}

Result<BenchmarkSpec> parse_benchmark_block(const JsonRef& block) {
  HKV_RETURN_IF_ERROR(
      check_keys(block, {"benchmark", "datasets", "limit", "lengths", "depths", "splits"}));
  BenchmarkSpec out;
  HKV_ASSIGN_OR_RETURN(std::string kind, block.get<std::string>("benchmark"));
  Result<Benchmark> benchmark = parse_benchmark(kind);
  if (!benchmark.ok()) {
    return benchmark.status().with_context("%s.benchmark", block.path().c_str());
  }
  out.benchmark = *benchmark;
  auto reject = [&](std::string_view key) -> Status {
    if (!block.has(key)) {
      return Status();
    }
    return errorf(StatusCode::kInvalidArgument, "%s.%.*s: not a field of %s benchmarks",
                  block.path().c_str(), static_cast<int>(key.size()), key.data(), kind.c_str());
  };
  if (out.benchmark == Benchmark::kNeedle) {
    HKV_RETURN_IF_ERROR(reject("limit"));
    HKV_RETURN_IF_ERROR(reject("splits"));
    HKV_ASSIGN_OR_RETURN(out.datasets,
                         get_list_or<std::string>(block, "datasets", {kDefaultNeedleHaystack}));
    HKV_ASSIGN_OR_RETURN(out.needle_lengths_tokens, parse_needle_lengths(block));
    HKV_ASSIGN_OR_RETURN(out.needle_depths_percent, parse_needle_depths(block));
    return out;
  }
  HKV_RETURN_IF_ERROR(reject("lengths"));
  HKV_RETURN_IF_ERROR(reject("depths"));
  HKV_ASSIGN_OR_RETURN(out.datasets, get_list<std::string>(block, "datasets"));
  HKV_ASSIGN_OR_RETURN(out.limit, block.get_or<int32_t>("limit", 0));
  if (out.benchmark == Benchmark::kBabilong) {
    HKV_ASSIGN_OR_RETURN(out.babilong_splits, get_list<std::string>(block, "splits"));
  } else {
    HKV_RETURN_IF_ERROR(reject("splits"));
  }
  return out;
}

Result<MethodSpec> parse_method_block(const JsonRef& block) {
  HKV_RETURN_IF_ERROR(
      check_keys(block, {"method", "budgets", "betas", "temps", "head_scores", "layout"}));
  MethodSpec out;
  HKV_ASSIGN_OR_RETURN(std::string name, block.get<std::string>("method"));
  out.method = canonical_method(name);
  if (out.method.empty()) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s.method: unknown method '%s' (expected FullKV, SnapKV, PyramidKV, Ada-SnapKV, "
                  "HeadKV-R or HeadKV-R2)",
                  block.path().c_str(), name.c_str());
  }
  bool head_kv = method_uses_head_scores(out.method);
  for (std::string_view key : {"budgets", "betas", "temps", "head_scores"}) {
    bool allowed = key == "budgets" ? out.method != "FullKV" : head_kv;
    if (!allowed && block.has(key)) {
      return errorf(StatusCode::kInvalidArgument, "%s.%.*s: %s does not take %.*s",
                    block.path().c_str(), static_cast<int>(key.size()), key.data(),
                    out.method.c_str(), static_cast<int>(key.size()), key.data());
    }
  }
  HKV_ASSIGN_OR_RETURN(out.layout, block.get_or<std::string>("layout", "reference"));
  if (out.method == "FullKV") {
    return out;
  }
  HKV_ASSIGN_OR_RETURN(out.budgets, get_list<int32_t>(block, "budgets"));
  if (head_kv) {
    HKV_ASSIGN_OR_RETURN(out.betas, get_list<double>(block, "betas"));
    HKV_ASSIGN_OR_RETURN(out.temps, get_list_or<double>(block, "temps", {1.0}));
    std::string fallback = out.method == "HeadKV-R" ? "retrieval" : "reasoning";
    HKV_ASSIGN_OR_RETURN(out.head_scores, block.get_or<std::string>("head_scores", fallback));
  }
  return out;
}

template <typename T, typename F>
Status parse_blocks(const JsonRef& root, std::string_view key, std::vector<T>* out, F parse) {
  HKV_ASSIGN_OR_RETURN(JsonRef list, root.at(key));
  if (!list.is_array()) {
    return errorf(StatusCode::kInvalidArgument, "%s: expected a list, got %s", list.path().c_str(),
                  json_type_name(list.raw()));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef block, list.at(i));
    HKV_ASSIGN_OR_RETURN(T value, parse(block));
    out->push_back(std::move(value));
  }
  return Status();
}

Result<SweepSpec> spec_from_json(const Json& json) {
  JsonRef root(json, "");
  HKV_RETURN_IF_ERROR(
      check_keys(root, {"name", "description", "model", "dtype", "priority", "benchmarks",
                        "methods", "window", "kernel", "pooling", "max_new_tokens"}));
  SweepSpec spec;
  HKV_ASSIGN_OR_RETURN(spec.name, root.get<std::string>("name"));
  HKV_ASSIGN_OR_RETURN(spec.model, root.get<std::string>("model"));
  HKV_ASSIGN_OR_RETURN(spec.dtype, root.get_or<std::string>("dtype", spec.dtype));
  HKV_ASSIGN_OR_RETURN(spec.priority, root.get_or<int32_t>("priority", 0));
  HKV_ASSIGN_OR_RETURN(spec.window, root.get_or<int32_t>("window", spec.window));
  HKV_ASSIGN_OR_RETURN(spec.kernel, root.get_or<int32_t>("kernel", spec.kernel));
  HKV_ASSIGN_OR_RETURN(spec.pooling, root.get_or<std::string>("pooling", spec.pooling));
  HKV_ASSIGN_OR_RETURN(spec.max_new_tokens, root.get_or<int32_t>("max_new_tokens", 0));
  HKV_RETURN_IF_ERROR(parse_blocks(root, "benchmarks", &spec.benchmarks, parse_benchmark_block));
  HKV_RETURN_IF_ERROR(parse_blocks(root, "methods", &spec.methods, parse_method_block));
  return spec;
}

// Every reader error is a malformed spec (InvalidArgument, whatever JsonRef chose: NotFound for a
// missing field, OutOfRange for a number too large). JsonRef paths start with '.' under the
// unnamed root; the dot is dropped so messages read "model: ...".
Status spec_error(const Status& status) {
  const std::string& message = status.message();
  bool dot = !message.empty() && message[0] == '.';
  return Status(StatusCode::kInvalidArgument, dot ? message.substr(1) : message);
}

}  // namespace

const char* benchmark_name(Benchmark benchmark) {
  switch (benchmark) {
    case Benchmark::kLongBench:
      return "longbench";
    case Benchmark::kNeedle:
      return "needle";
    case Benchmark::kBabilong:
      return "babilong";
  }
  return "?";
}

Result<Benchmark> parse_benchmark(std::string_view name) {
  for (Benchmark b : {Benchmark::kLongBench, Benchmark::kNeedle, Benchmark::kBabilong}) {
    if (name == benchmark_name(b)) {
      return b;
    }
  }
  return errorf(StatusCode::kInvalidArgument,
                "unknown benchmark '%.*s' (expected longbench, needle or babilong)",
                static_cast<int>(name.size()), name.data());
}

std::string expand_home(const std::string& path, const std::string& home) {
  if (path == "~" || starts_with(path, "~/")) {
    return home + path.substr(1);
  }
  return path;
}

Result<SweepSpec> parse_sweep_spec(std::string_view text, std::string_view source) {
  const int source_len = static_cast<int>(source.size());
  HKV_ASSIGN_OR_RETURN(Json json, parse_document(text, source));
  Result<SweepSpec> spec = spec_from_json(json);
  if (!spec.ok()) {
    return spec_error(spec.status()).with_context("%.*s", source_len, source.data());
  }
  // Paths are resolved where the spec is submitted, so "~" means the submitter's home.
  const char* home = std::getenv("HOME");
  if (home != nullptr) {
    spec->model = expand_home(spec->model, home);
    for (MethodSpec& method : spec->methods) {
      method.head_scores = expand_home(method.head_scores, home);
    }
  }
  Status valid = validate_sweep_spec(*spec);
  if (!valid.ok()) {
    return valid.with_context("%.*s", source_len, source.data());
  }
  return spec;
}

}  // namespace hkv::jobs
