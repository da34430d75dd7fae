// Field by field; names through compression/method.h, enums by exhaustive switch.
#include "proto/compression_convert.h"

namespace hkv::proto {
namespace {

// `parsed`, or its error naming the wire field.
template <typename T>
Result<T> field(Result<T> parsed, const char* name) {
  if (!parsed.ok()) {
    return parsed.status().with_context("CompressionConfig.%s", name);
  }
  return parsed;
}

}  // namespace

void to_proto(const compression::CompressionConfig& in, v1::CompressionConfig* out) {
  out->set_method(compression::method_name(in.method));
  out->set_kv_budget_tokens(in.budget);
  out->set_beta(in.beta);
  out->set_temp(in.temp);
  out->set_window_tokens(in.window);
  out->set_kernel_size(in.kernel);
  out->set_pooling(compression::pooling_name(in.pooling));
  out->set_head_scores(in.head_scores);
  out->set_layout(compression::cache_layout_name(in.layout));
}

Result<compression::CompressionConfig> from_proto(const v1::CompressionConfig& in) {
  compression::CompressionConfig c;
  HKV_ASSIGN_OR_RETURN(c.method, field(compression::parse_method(in.method()), "method"));
  c.budget = in.kv_budget_tokens();
  c.beta = in.beta();
  c.temp = in.temp();
  c.window = in.window_tokens();
  c.kernel = in.kernel_size();
  HKV_ASSIGN_OR_RETURN(c.pooling, field(compression::parse_pooling(in.pooling()), "pooling"));
  c.head_scores = in.head_scores();
  HKV_ASSIGN_OR_RETURN(c.layout, field(compression::parse_cache_layout(in.layout()), "layout"));
  return c;
}

v1::Benchmark to_proto(jobs::Benchmark benchmark) {
  switch (benchmark) {
    case jobs::Benchmark::kLongBench:
      return v1::BENCHMARK_LONGBENCH;
    case jobs::Benchmark::kNeedle:
      return v1::BENCHMARK_NEEDLE;
    case jobs::Benchmark::kBabilong:
      return v1::BENCHMARK_BABILONG;
    case jobs::Benchmark::kHeads:
      return v1::BENCHMARK_HEADS;
  }
  return v1::BENCHMARK_UNSPECIFIED;
}

Result<jobs::Benchmark> from_proto(v1::Benchmark benchmark) {
  switch (benchmark) {
    case v1::BENCHMARK_LONGBENCH:
      return jobs::Benchmark::kLongBench;
    case v1::BENCHMARK_NEEDLE:
      return jobs::Benchmark::kNeedle;
    case v1::BENCHMARK_BABILONG:
      return jobs::Benchmark::kBabilong;
    case v1::BENCHMARK_HEADS:
      return jobs::Benchmark::kHeads;
    default:
      return errorf(StatusCode::kInvalidArgument,
                    "benchmark enum value %d is not one this build knows (longbench, needle, "
                    "babilong, heads)",
                    static_cast<int>(benchmark));
  }
}

void to_proto(const jobs::HeadTestScores& in, v1::HeadScores* out) {
  out->set_num_layers(in.num_layers);
  out->set_num_heads(in.num_heads);
  *out->mutable_scores() = {in.scores.begin(), in.scores.end()};
  out->set_span_found(in.span_found);
  out->set_kept(in.kept);
}

jobs::HeadTestScores from_proto(const v1::HeadScores& in) {
  jobs::HeadTestScores s;
  s.num_layers = in.num_layers();
  s.num_heads = in.num_heads();
  s.scores.assign(in.scores().begin(), in.scores().end());
  s.span_found = in.span_found();
  s.kept = in.kept();
  return s;
}

}  // namespace hkv::proto
