// Sweep spec parsing: YAML is converted to the same Json tree as JSON input (jobs/yaml_json.h), so
// one reader with path-aware errors serves both; semantic checks (validate_sweep_spec) run on the
// typed struct.
#include "jobs/sweep_spec.h"

#include <cstdlib>
#include <initializer_list>

#include "benchmarks/needle.h"
#include "common/strings.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_limits.h"
#include "jobs/yaml_json.h"

namespace hkv::jobs {
namespace {

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
  const int64_t count = (static_cast<int64_t>(stop) - start) / step + 1;
  if (count > kMaxGridAxis) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: %lld lengths, over the limit of %lld per block", node.path().c_str(),
                  static_cast<long long>(count), static_cast<long long>(kMaxGridAxis));
  }
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

// heads lengths: a list (0 = needle only) or the reference's {start, stop, count} linspace.
Result<std::vector<int32_t>> parse_heads_lengths(const JsonRef& block) {
  if (!block.has("lengths")) {
    return default_heads_lengths();
  }
  HKV_ASSIGN_OR_RETURN(JsonRef node, block.at("lengths"));
  if (node.is_array()) {
    return node.as_vector<int32_t>();
  }
  HKV_RETURN_IF_ERROR(check_keys(node, {"start", "stop", "count"}));
  HKV_ASSIGN_OR_RETURN(int32_t start, node.get<int32_t>("start"));
  HKV_ASSIGN_OR_RETURN(int32_t stop, node.get<int32_t>("stop"));
  HKV_ASSIGN_OR_RETURN(int32_t count, node.get<int32_t>("count"));
  if (start < 0 || stop <= start || count < 2 || count > 1000) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: expected 0 <= start < stop and 2 <= count <= 1000, got start=%d stop=%d "
                  "count=%d",
                  node.path().c_str(), start, stop, count);
  }
  return needle_depth_percents(start, stop, count);  // numpy round(linspace(...))
}

Status parse_heads_fields(const JsonRef& block, BenchmarkSpec* out) {
  HKV_ASSIGN_OR_RETURN(out->datasets,
                       get_list_or<std::string>(block, "datasets", {kHeadsRetrieval}));
  HKV_ASSIGN_OR_RETURN(out->needle_lengths_tokens, parse_heads_lengths(block));
  HKV_ASSIGN_OR_RETURN(out->needle_depths_percent, parse_needle_depths(block));
  HKV_ASSIGN_OR_RETURN(out->heads_haystack_root, block.get_or<std::string>("haystack_dir", ""));
  HKV_ASSIGN_OR_RETURN(out->heads_needles, block.get_or<int32_t>("needles", 0));
  if (block.has("needles") && out->heads_needles < 1) {
    return errorf(StatusCode::kInvalidArgument, "%s.needles: %d, expected >= 1",
                  block.path().c_str(), out->heads_needles);
  }
  HKV_ASSIGN_OR_RETURN(out->heads_min_score, block.get_or<double>("min_score", 50.0));
  HKV_ASSIGN_OR_RETURN(out->heads_max_decode_steps, block.get_or<int32_t>("max_decode_steps", 50));
  HKV_ASSIGN_OR_RETURN(out->heads_reasoning_steps, block.get_or<int32_t>("reasoning_steps", 0));
  return Status();
}

Result<BenchmarkSpec> parse_benchmark_block(const JsonRef& block) {
  HKV_RETURN_IF_ERROR(check_keys(
      block, {"benchmark", "datasets", "limit", "lengths", "depths", "splits", "haystack_dir",
              "needles", "min_score", "max_decode_steps", "reasoning_steps"}));
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
  if (out.benchmark == Benchmark::kHeads) {
    HKV_RETURN_IF_ERROR(reject("limit"));
    HKV_RETURN_IF_ERROR(reject("splits"));
    HKV_RETURN_IF_ERROR(parse_heads_fields(block, &out));
    return out;
  }
  for (std::string_view key :
       {"haystack_dir", "needles", "min_score", "max_decode_steps", "reasoning_steps"}) {
    HKV_RETURN_IF_ERROR(reject(key));
  }
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
  HKV_RETURN_IF_ERROR(check_keys(
      block, {"method", "budgets", "betas", "temps", "head_scores", "layout", "head_choice"}));
  MethodSpec out;
  HKV_ASSIGN_OR_RETURN(std::string name, block.get<std::string>("method"));
  out.method = canonical_method(name);
  // The reference scripts' ReasonKV: head_choice copy is HeadKV-R, reason is HeadKV-R2.
  if (compression::is_reasonkv(name)) {
    if (!block.has("head_choice")) {
      return errorf(StatusCode::kInvalidArgument,
                    "%s.head_choice: ReasonKV needs head_choice: copy (HeadKV-R) or reason "
                    "(HeadKV-R2)",
                    block.path().c_str());
    }
    HKV_ASSIGN_OR_RETURN(std::string choice, block.get<std::string>("head_choice"));
    Result<compression::Method> method = compression::parse_reasonkv_head_choice(choice);
    if (!method.ok()) {
      return method.status().with_context("%s.head_choice", block.path().c_str());
    }
    out.method = compression::method_name(*method);
  } else if (block.has("head_choice")) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s.head_choice: only the reference's ReasonKV takes head_choice, not '%s'",
                  block.path().c_str(), name.c_str());
  }
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
    const std::string fallback =
        compression::default_head_scores(*compression::parse_method(out.method));
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
                        "methods", "window", "kernel", "pooling", "max_new_tokens", "memory_gib"}));
  SweepSpec spec;
  HKV_ASSIGN_OR_RETURN(spec.name, root.get<std::string>("name"));
  HKV_ASSIGN_OR_RETURN(spec.model, root.get<std::string>("model"));
  HKV_ASSIGN_OR_RETURN(spec.dtype, root.get_or<std::string>("dtype", spec.dtype));
  HKV_ASSIGN_OR_RETURN(spec.priority, root.get_or<int32_t>("priority", 0));
  HKV_ASSIGN_OR_RETURN(spec.window, root.get_or<int32_t>("window", spec.window));
  HKV_ASSIGN_OR_RETURN(spec.kernel, root.get_or<int32_t>("kernel", spec.kernel));
  HKV_ASSIGN_OR_RETURN(spec.pooling, root.get_or<std::string>("pooling", spec.pooling));
  HKV_ASSIGN_OR_RETURN(spec.max_new_tokens, root.get_or<int32_t>("max_new_tokens", 0));
  HKV_ASSIGN_OR_RETURN(spec.memory_gib, root.get_or<double>("memory_gib", 0.0));
  HKV_RETURN_IF_ERROR(parse_blocks(root, "benchmarks", &spec.benchmarks, parse_benchmark_block));
  if (root.has("methods")) {  // a sweep of heads blocks only needs none (validate_sweep_spec)
    HKV_RETURN_IF_ERROR(parse_blocks(root, "methods", &spec.methods, parse_method_block));
  }
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
    case Benchmark::kHeads:
      return "heads";
  }
  return "?";
}

Result<Benchmark> parse_benchmark(std::string_view name) {
  for (Benchmark b :
       {Benchmark::kLongBench, Benchmark::kNeedle, Benchmark::kBabilong, Benchmark::kHeads}) {
    if (name == benchmark_name(b)) {
      return b;
    }
  }
  return errorf(StatusCode::kInvalidArgument,
                "unknown benchmark '%.*s' (expected longbench, needle, babilong or heads)",
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
  HKV_RETURN_IF_ERROR(check_sweep_text(text, source));
  HKV_ASSIGN_OR_RETURN(Json json, parse_yaml_or_json(text, source));
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
    for (BenchmarkSpec& bench : spec->benchmarks) {
      bench.heads_haystack_root = expand_home(bench.heads_haystack_root, home);
    }
  }
  Status valid = validate_sweep_spec(*spec);
  if (!valid.ok()) {
    return valid.with_context("%.*s", source_len, source.data());
  }
  return spec;
}

}  // namespace hkv::jobs
