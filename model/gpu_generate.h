// generate_multi on the GPU engine: one prefill with per-layer compression for every config, then
// all configs decode as one batch (ALGORITHMS.md §5.1 rules: stop ids, max_new_tokens,
// min_new_tokens bans). Results use the CPU engine's MultiRun, so callers do not care which
// engine ran.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "model/generate.h"
#include "model/gpu_model.h"

namespace hkv::model {

// Optional diagnostics of a GPU run.
struct GpuTrace {
  bool keep_logits = false;                   // record sequence 0's logits per step
  std::vector<std::vector<float>> logits;     // [steps][vocab]: prefill's last row, then decode
  bool keep_positions = false;                // record kept positions
  std::vector<std::vector<KeptPositions>> kept;  // [config][layer][segment] positions
  GpuMemoryPlan plan;
  int64_t cache_bytes = 0;  // the batch's K/V buffers (compressed caches + decode room)
};

Result<MultiRun> generate_multi_gpu(GpuModel& model,
                                    std::span<const int32_t> prompt,
                                    const std::vector<CompressionConfig>& configs,
                                    const std::vector<std::vector<int32_t>>& head_caps,
                                    const GenerationConfig& gen,
                                    const TokenCallback& on_token = {},
                                    GpuTrace* trace = nullptr);

}  // namespace hkv::model
