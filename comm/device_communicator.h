// Collectives over device buffers for the tensor-parallel GPU engine (M11). The interface is
// CUDA-free (buffers and streams are opaque pointers) so host-only layers can name it; the NCCL
// implementation lives with the GPU engine (gpu_engine/nccl_comm.h). Every rank calls the same
// collectives in the same order, each on its own stream; a call only enqueues work on `stream`.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace hkv::comm {

enum class DeviceDType { kF32, kF16, kBf16 };

class DeviceCommunicator {
 public:
  virtual ~DeviceCommunicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The CUDA device of this rank.
  virtual int device() const = 0;
  // In place on `stream` (a cudaStream_t): data [count] becomes the elementwise sum over ranks.
  virtual Status all_reduce_sum(void* data, int64_t count, DeviceDType dtype, void* stream) = 0;
  // out [size * count] = every rank's in [count], in rank order, on `stream`.
  virtual Status all_gather(
      const void* in, void* out, int64_t count, DeviceDType dtype, void* stream) = 0;
  // Breaks the group (ncclCommAbort): a rank that failed on its own calls it so the others' pending
  // collectives end instead of waiting for it. The group cannot be used afterwards.
  virtual void abort() = 0;
};

}  // namespace hkv::comm
