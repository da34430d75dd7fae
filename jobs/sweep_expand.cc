// Sweep spec semantics: the pure grid expansion into distinct configs and work units, and the
// config's stored JSON form. Dataset sizes come from tables (sweep_validate.cc), never from files,
// so expansion is a function of the spec alone. Validation is in sweep_validate.cc.
#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "common/logging.h"
#include "common/strings.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_limits.h"
#include "jobs/sweep_spec.h"

namespace hkv::jobs {
namespace {

// Every field of a config, exactly (doubles by their bits), as a set key.
std::string config_key(const CompressionConfig& c) {
  return strformat("%d|%d|%a|%a|%d|%d|%d|%s|%d", static_cast<int>(c.method), c.budget, c.beta,
                   c.temp, c.window, c.kernel, static_cast<int>(c.pooling), c.head_scores.c_str(),
                   static_cast<int>(c.layout));
}

// A name the spec's validation accepted (validate_sweep_spec): parsing cannot fail here.
template <typename T>
T validated(Result<T> parsed) {
  HKV_CHECK(parsed.ok()) << parsed.status().to_string();
  return *std::move(parsed);
}

// The grid's shared fields of a method block, in the neutral form.
CompressionConfig base_config(const SweepSpec& spec, const std::string& method) {
  CompressionConfig base =
      compression::neutral_config(validated(compression::parse_method(method)));
  base.window = spec.window;
  base.kernel = spec.kernel;
  base.pooling = validated(compression::parse_pooling(spec.pooling));
  return base;
}

// Appends `config` unless an equal one is there: O(log n) per config through `seen`.
void add_config(const CompressionConfig& config,
                std::vector<CompressionConfig>* configs,
                std::set<std::string>* seen) {
  if (seen->insert(config_key(config)).second) {
    configs->push_back(config);
  }
}

void expand_method(const SweepSpec& spec,
                   const MethodSpec& m,
                   std::vector<CompressionConfig>* configs,
                   std::set<std::string>* seen) {
  CompressionConfig base = base_config(spec, m.method);
  base.layout = validated(compression::parse_cache_layout(m.layout));
  if (base.method == compression::Method::kFullKv) {
    add_config(base, configs, seen);
    return;
  }
  // Neutral 0 for the axes a method does not use keeps the loops uniform.
  const std::vector<double> unused = {0.0};
  const bool head_kv = method_uses_head_scores(m.method);
  base.head_scores = head_kv ? m.head_scores : "";
  for (int32_t budget : m.budgets) {
    for (double beta : head_kv ? m.betas : unused) {
      for (double temp : head_kv ? m.temps : unused) {
        CompressionConfig config = base;
        config.budget = budget;
        config.beta = beta;
        config.temp = temp;
        add_config(config, configs, seen);
      }
    }
  }
}

void expand_benchmark(const BenchmarkSpec& bench, std::vector<WorkUnit>* units) {
  if (bench.benchmark == Benchmark::kHeads) {
    expand_heads_block(bench, units);
    return;
  }
  for (const std::string& dataset : bench.datasets) {
    auto add = [&](std::string key) {
      units->push_back({bench.benchmark, dataset, std::move(key), ""});
    };
    if (bench.benchmark == Benchmark::kNeedle) {
      for (int32_t length : bench.needle_lengths_tokens) {
        for (int32_t depth : bench.needle_depths_percent) {
          add(std::to_string(length) + ":" + std::to_string(depth));
        }
      }
    } else if (bench.benchmark == Benchmark::kBabilong) {
      int32_t n = bench.limit > 0 ? std::min(bench.limit, kBabilongSamplesPerSplit)
                                  : kBabilongSamplesPerSplit;
      for (const std::string& split : bench.babilong_splits) {
        for (int32_t i = 0; i < n; ++i) {
          add(split + ":" + std::to_string(i));
        }
      }
    } else {
      int32_t size = longbench_dataset_size(dataset);
      int32_t n = bench.limit == 0 ? size : (size > 0 ? std::min(bench.limit, size) : bench.limit);
      for (int32_t i = 0; i < n; ++i) {
        add(std::to_string(i));
      }
    }
  }
}

}  // namespace

Result<std::vector<MethodSpec>> method_specs_from_flags(const MethodFlags& flags) {
  std::vector<MethodSpec> out;
  for (const std::string& name : flags.methods) {
    MethodSpec ms;
    ms.method = canonical_method(name);
    if (ms.method.empty()) {
      return errorf(StatusCode::kInvalidArgument, "--method: unknown method '%s'", name.c_str());
    }
    ms.layout = flags.layout;
    if (ms.method != "FullKV") {
      ms.budgets = flags.budgets;
    }
    if (method_uses_head_scores(ms.method)) {
      ms.betas = flags.betas;
      ms.temps = flags.temps;
      ms.head_scores =
          !flags.head_scores.empty()
              ? flags.head_scores
              : compression::default_head_scores(*compression::parse_method(ms.method));
    }
    out.push_back(std::move(ms));
  }
  return out;
}

Result<std::vector<CompressionConfig>> expand_method_grid(const std::vector<MethodSpec>& methods,
                                                          int32_t window,
                                                          int32_t kernel,
                                                          const std::string& pooling) {
  SweepSpec spec;
  spec.window = window;
  spec.kernel = kernel;
  spec.pooling = pooling;
  if (!compression::parse_pooling(pooling).ok()) {
    return errorf(StatusCode::kInvalidArgument,
                  "pooling: unknown pooling '%s' (expected maxpool or avgpool)", pooling.c_str());
  }
  std::vector<CompressionConfig> configs;
  std::set<std::string> seen;
  for (size_t i = 0; i < methods.size(); ++i) {
    HKV_RETURN_IF_ERROR(
        validate_method_spec(methods[i], "methods[" + std::to_string(i) + "]", window));
    expand_method(spec, methods[i], &configs, &seen);
  }
  return configs;
}

std::string canonical_method(std::string_view name) {
  Result<compression::Method> method = compression::parse_method(name);
  return method.ok() ? compression::method_name(*method) : "";
}

bool method_uses_head_scores(std::string_view canonical) {
  Result<compression::Method> method = compression::parse_method(canonical);
  return method.ok() && compression::uses_head_scores(*method);
}

std::vector<int32_t> needle_depths_from_count(int32_t count) {
  std::vector<int32_t> depths;
  for (int32_t i = 0; i < count; ++i) {
    // nearbyint rounds half to even under the default rounding mode, as numpy.round does.
    double value = count == 1 ? 0.0 : 100.0 * i / (count - 1);
    depths.push_back(static_cast<int32_t>(std::nearbyint(value)));
  }
  return depths;
}

ExpandedSweep expand_sweep(const SweepSpec& spec) {
  ExpandedSweep out;
  out.detection = {base_config(spec, "FullKV")};
  std::set<std::string> seen;
  for (const MethodSpec& method : spec.methods) {
    expand_method(spec, method, &out.configs, &seen);
  }
  for (const BenchmarkSpec& bench : spec.benchmarks) {
    expand_benchmark(bench, &out.units);
  }
  return out;
}

}  // namespace hkv::jobs
