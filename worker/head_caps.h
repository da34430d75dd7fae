// Glue between head_scores/ and model/: turns each HeadKV config's score file (or alias) into the
// per-head capacity table the engine takes as plain data, checked against the model's shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "cpu_engine/compression_config.h"
#include "formats/config.h"

namespace hkv::worker {

// For each config: empty for methods without head scores, else [num_layers * segments] caps
// (query heads in the reference layout, KV heads in gqa). `model_hint` (a model path or name)
// resolves the aliases retrieval / reasoning. Errors: missing score file, a table whose shape
// differs from the model's layers x query heads, beta/temp/budget out of range.
Result<std::vector<std::vector<int32_t>>> resolve_head_caps(
    const model::LlamaConfig& config,
    const std::string& model_hint,
    const std::vector<model::CompressionConfig>& configs);

}  // namespace hkv::worker
