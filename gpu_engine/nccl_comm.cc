// The NCCL communicator: RAII over ncclComm_t; errors name the collective, the rank and NCCL's
// reason.
#include "gpu_engine/nccl_comm.h"

#include <algorithm>
#include <string>

#include <cuda_runtime_api.h>
#include <nccl.h>

#include "common/strings.h"

namespace hkv::model {
namespace {

ncclDataType_t nccl_type(comm::DeviceDType d) {
  switch (d) {
    case comm::DeviceDType::kF32:
      return ncclFloat32;
    case comm::DeviceDType::kF16:
      return ncclFloat16;
    case comm::DeviceDType::kBf16:
      return ncclBfloat16;
  }
  return ncclFloat32;
}

Status nccl_status(ncclResult_t r, const char* what, int rank) {
  if (r == ncclSuccess) {
    return Status();
  }
  return errorf(StatusCode::kUnavailable, "NCCL %s on rank %d: %s", what, rank,
                ncclGetErrorString(r));
}

class NcclCommunicator final : public comm::DeviceCommunicator {
 public:
  NcclCommunicator(ncclComm_t comm, int rank, int size, int device)
      : comm_(comm), rank_(rank), size_(size), device_(device) {}

  ~NcclCommunicator() override {
    if (comm_ != nullptr) {
      cudaSetDevice(device_);
      ncclCommDestroy(comm_);
    }
  }

  void abort() override {
    if (comm_ != nullptr) {
      ncclCommAbort(comm_);
      comm_ = nullptr;
    }
  }

  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }

  int size() const override { return size_; }

  int device() const override { return device_; }

  Status all_reduce_sum(void* data,  // [count]
                        int64_t count,
                        comm::DeviceDType dtype,
                        void* stream) override {
    if (comm_ == nullptr) {
      return errorf(StatusCode::kAborted, "NCCL all-reduce on rank %d: the group was aborted",
                    rank_);
    }
    return nccl_status(ncclAllReduce(data, data, static_cast<size_t>(count), nccl_type(dtype),
                                     ncclSum, comm_, static_cast<cudaStream_t>(stream)),
                       "all-reduce", rank_);
  }

  Status all_gather(const void* in,  // [count]
                    void* out,       // [size * count]
                    int64_t count,
                    comm::DeviceDType dtype,
                    void* stream) override {
    if (comm_ == nullptr) {
      return errorf(StatusCode::kAborted, "NCCL all-gather on rank %d: the group was aborted",
                    rank_);
    }
    return nccl_status(ncclAllGather(in, out, static_cast<size_t>(count), nccl_type(dtype), comm_,
                                     static_cast<cudaStream_t>(stream)),
                       "all-gather", rank_);
  }

 private:
  ncclComm_t comm_;
  int rank_, size_, device_;
};

}  // namespace

Result<std::vector<std::unique_ptr<comm::DeviceCommunicator>>> make_nccl_group(
    const std::vector<int>& devices) {
  std::vector<int> sorted = devices;
  std::sort(sorted.begin(), sorted.end());
  if (devices.empty() || std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return errorf(StatusCode::kInvalidArgument,
                  "NCCL group: expected distinct CUDA devices, got %zu entries with repeats",
                  devices.size());
  }
  std::vector<ncclComm_t> comms(devices.size(), nullptr);
  const ncclResult_t r =
      ncclCommInitAll(comms.data(), static_cast<int>(devices.size()), devices.data());
  if (r != ncclSuccess) {
    return errorf(StatusCode::kUnavailable, "NCCL group over %zu GPUs: ncclCommInitAll: %s",
                  devices.size(), ncclGetErrorString(r));
  }
  std::vector<std::unique_ptr<comm::DeviceCommunicator>> out;
  for (size_t i = 0; i < devices.size(); ++i) {
    out.push_back(std::make_unique<NcclCommunicator>(comms[i], static_cast<int>(i),
                                                     static_cast<int>(devices.size()), devices[i]));
  }
  return out;
}

std::string nccl_version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) {
    return "NCCL (version unknown)";
  }
  return strformat("NCCL %d.%d.%d", v / 10000, (v / 100) % 100, v % 100);
}

}  // namespace hkv::model
