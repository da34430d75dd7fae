// The wire form of the compression vocabulary and of the benchmark enum: the one converter the
// coordinator, the worker and the CLI use. The wire keeps the name tables' strings
// (compression/method.h); a name or enum value this build does not know is InvalidArgument
// naming the field, never a default.
#pragma once

#include "common/status.h"
#include "compression/config.h"
#include "hkv/v1/coordinator.pb.h"
#include "jobs/heads_spec.h"
#include "jobs/sweep_spec.h"

namespace hkv::proto {

void to_proto(const compression::CompressionConfig& in, v1::CompressionConfig* out);
Result<compression::CompressionConfig> from_proto(const v1::CompressionConfig& in);

v1::Benchmark to_proto(jobs::Benchmark benchmark);
Result<jobs::Benchmark> from_proto(v1::Benchmark benchmark);

void to_proto(const jobs::HeadTestScores& in, v1::HeadScores* out);
jobs::HeadTestScores from_proto(const v1::HeadScores& in);

}  // namespace hkv::proto
