// proto (hkv.v1) <-> coordinator domain structs. The only coordinator file besides service.cc that
// includes generated code; Status <-> grpc::Status lives in proto/status_convert.h.
#pragma once

#include "coordinator/scheduler.h"
#include "hkv/v1/coordinator.pb.h"
#include "proto/compression_convert.h"

namespace hkv::coordinator {

// Configs, the benchmark enum and head scores: proto/compression_convert.h.
using proto::from_proto;
using proto::to_proto;
void to_proto(const TaskAssignment& in, v1::Task* out);
void to_proto(const SweepProgress& in, v1::SweepProgress* out);
void to_proto(const WorkerStatus& in, v1::WorkerStatus* out);
void to_proto(const ResultRow& in, v1::ResultRow* out);
void to_proto(const TaskSummary& in, v1::TaskSummary* out);
WorkerInfo from_proto(const v1::WorkerInfo& in);
Heartbeat from_proto(const v1::HeartbeatRequest& in);
TaskReport from_proto(const v1::ReportResultRequest& in);

}  // namespace hkv::coordinator
