// proto (hkv.v1) <-> coordinator domain structs. The only coordinator file besides service.cc that
// includes generated code; Status <-> grpc::Status lives in proto/status_convert.h.
#pragma once

#include "coordinator/scheduler.h"
#include "hkv/v1/coordinator.pb.h"

namespace hkv::coordinator {

v1::Benchmark to_proto(jobs::Benchmark benchmark);
jobs::Benchmark from_proto(v1::Benchmark benchmark);
void to_proto(const jobs::CompressionConfig& in, v1::CompressionConfig* out);
jobs::CompressionConfig from_proto(const v1::CompressionConfig& in);
void to_proto(const TaskAssignment& in, v1::Task* out);
void to_proto(const SweepProgress& in, v1::SweepProgress* out);
void to_proto(const WorkerStatus& in, v1::WorkerStatus* out);
void to_proto(const ResultRow& in, v1::ResultRow* out);
void to_proto(const TaskSummary& in, v1::TaskSummary* out);
void to_proto(const jobs::HeadTestScores& in, v1::HeadScores* out);
jobs::HeadTestScores from_proto(const v1::HeadScores& in);
WorkerInfo from_proto(const v1::WorkerInfo& in);
Heartbeat from_proto(const v1::HeartbeatRequest& in);
TaskReport from_proto(const v1::ReportResultRequest& in);

}  // namespace hkv::coordinator
