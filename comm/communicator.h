// Collective communication for tensor parallelism (M11): one interface, two implementations —
// NCCL across GPUs (to come with the tensor-parallel GPU engine), and an in-process group where N
// threads of one process exchange host buffers, so tensor-parallel correctness is tested in CI
// without GPUs. Every rank calls the same collectives in the same order.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace hkv::comm {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place: every rank's `data` becomes the elementwise sum over the ranks, added in rank order
  // (so every rank gets bit-identical values). All ranks pass the same length.
  virtual Status all_reduce_sum(std::span<float> data) = 0;
  // `out` [size * in.size()]: every rank's `in`, in rank order. All ranks pass the same length.
  virtual Status all_gather(std::span<const float> in, std::span<float> out) = 0;
  virtual Status barrier() = 0;
  // Breaks the group: every collective of every rank that waits now or starts later fails with
  // Aborted naming `why`. For a rank that failed on its own, so the others do not wait for it.
  virtual void abort(const std::string& why) = 0;
};

// `size` communicators of one group, rank i = element i, each for its own thread. A collective
// waits at most `timeout` for the other ranks (DeadlineExceeded naming the missing ranks), and a
// length mismatch fails on every rank (InvalidArgument naming both lengths). A group whose
// collective timed out or that was aborted is broken: make a new one.
std::vector<std::unique_ptr<Communicator>> make_in_process_group(
    int size, std::chrono::milliseconds timeout = std::chrono::minutes(5));

}  // namespace hkv::comm
