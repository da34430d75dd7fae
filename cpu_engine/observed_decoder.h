// Greedy single-sequence decoding over a FullKV cache that shows every (layer, query head) softmax
// row to an observer: what head detection (ALGORITHMS.md §9) needs, on the CPU engine (here) or the
// GPU engine (gpu_engine/gpu_observed_decoder.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/status.h"
#include "cpu_engine/cpu_model.h"
#include "formats/config.h"

namespace hkv::model {

class ObservedDecoder {
 public:
  virtual ~ObservedDecoder() = default;
  virtual const LlamaConfig& config() const = 0;
  // Prefills `prefix` into a FullKV cache with room for `steps` decode steps.
  virtual Status begin(std::span<const int32_t> prefix, int32_t steps) = 0;
  // Feeds `token` at `position`; `observer` sees every head's row (batch index 0); returns the
  // greedy next token (ties to the lowest id).
  virtual Result<int32_t> step(int32_t token,
                               int64_t position,
                               const AttentionObserver& observer) = 0;
};

// The model must outlive the decoder.
std::unique_ptr<ObservedDecoder> make_cpu_decoder(const CpuModel& model);

}  // namespace hkv::model
