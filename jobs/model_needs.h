// What a sweep's model needs of a worker (M11 capacity matching): the coordinator reads the
// model's config.json when it can (a shared file system, or the same host as `headkv run`) and
// estimates the memory of its weights at the sweep's dtype plus headroom for activations and
// compressed caches. The coordinator never loads a model: this is arithmetic over the shapes.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace hkv::jobs {

// Headroom over the weights: activations, cuBLAS workspace and the configs' caches of a batch.
inline constexpr double kMemoryHeadroom = 1.2;

// Parameters of a Llama-family config.json (embeddings, attention, MLP, norms, untied LM head).
// InvalidArgument names a missing or non-positive shape field.
Result<int64_t> llama_parameters_from_config_json(const std::string& json_text,
                                                  const std::string& source);

// kMemoryHeadroom x parameters x bytes per weight (fp32: 4, else 2) for the model folder `model`
// ("~/" expanded with `home`). NotFound when it has no readable config.json (a GGUF file, a path
// only the workers see): the sweep then has no requirement and any worker takes it.
Result<int64_t> estimate_model_memory_bytes(const std::string& model,
                                            const std::string& dtype,
                                            const std::string& home);

}  // namespace hkv::jobs
