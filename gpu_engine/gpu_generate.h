// generate_multi on the GPU engine: one prefill with per-layer compression for every config, then
// all configs decode as one batch (ALGORITHMS.md §5.1 rules: stop ids, max_new_tokens,
// min_new_tokens bans). Results use the CPU engine's MultiRun, so callers do not care which
// engine ran.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "cpu_engine/generate.h"
#include "gpu_engine/gpu_model.h"

namespace hkv::model {

// Optional diagnostics of a GPU run.
struct GpuTrace {
  bool keep_logits = false;                      // record sequence 0's logits per step
  std::vector<std::vector<float>> logits;        // [steps][vocab]: prefill's last row, then decode
  bool keep_positions = false;                   // record kept positions
  std::vector<std::vector<KeptPositions>> kept;  // [config][layer][segment] positions
  GpuMemoryPlan plan;
  int64_t cache_bytes = 0;  // the batch's K/V buffers (compressed caches + decode room)
};

// One sample of a multi-sample batch: its prompt, configs and capacity tables, generation limits.
struct GpuSampleRequest {
  std::span<const int32_t> prompt;
  const std::vector<CompressionConfig>* configs = nullptr;
  const std::vector<std::vector<int32_t>>* head_caps = nullptr;
  GenerationConfig gen;
};

// Several samples, each prefilled and compressed on its own, then ALL their configs decode as one
// batch (GpuBatch::merge). Samples may differ in prompt, configs and max_new_tokens; they must
// share stop ids and min_new_tokens (the step's banned ids are one list). on_token gets
// (sample * 65536 + config index, token) when set. Trace fields describe sample 0.
Result<std::vector<MultiRun>> generate_samples_gpu(GpuModel& model,
                                                   const std::vector<GpuSampleRequest>& samples,
                                                   const TokenCallback& on_token = {},
                                                   GpuTrace* trace = nullptr);

Result<MultiRun> generate_multi_gpu(GpuModel& model,
                                    std::span<const int32_t> prompt,
                                    const std::vector<CompressionConfig>& configs,
                                    const std::vector<std::vector<int32_t>>& head_caps,
                                    const GenerationConfig& gen,
                                    const TokenCallback& on_token = {},
                                    GpuTrace* trace = nullptr);

}  // namespace hkv::model
