// NCCL behind comm::DeviceCommunicator (M11): one communicator per GPU of a single process, made
// together by ncclCommInitAll; each rank is then driven by its own thread and stream. With one
// device it is a group of one: the tensor-parallel code path runs unchanged on a single GPU.
#pragma once

#include <memory>
#include <vector>

#include "comm/device_communicator.h"
#include "common/status.h"

namespace hkv::model {

// Rank i on devices[i]. InvalidArgument for an empty or repeated device list (NCCL needs distinct
// GPUs), Unavailable naming NCCL's error when the group cannot be created.
Result<std::vector<std::unique_ptr<comm::DeviceCommunicator>>> make_nccl_group(
    const std::vector<int>& devices);

// "NCCL 2.28.3" (the library loaded at run time).
std::string nccl_version();

}  // namespace hkv::model
