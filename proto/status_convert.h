// Status <-> grpc::Status: one exhaustive switch each way, no default (STYLE.md §9). Shared by the
// coordinator and worker RPC layers; domain code never includes gRPC.
#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace hkv::proto {

grpc::Status to_grpc_status(const Status& status);
Status from_grpc_status(const grpc::Status& status);

}  // namespace hkv::proto
