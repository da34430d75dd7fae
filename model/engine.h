// One interface over the CPU and GPU engines: the worker, `headkv eval` and `headkv generate` run
// generate() and get the same MultiRun whichever engine loaded the model. `--device cpu` always
// works; `cuda[:N]` needs a CUDA build and a device; `auto` takes cuda:0 when one is present.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "cpu_engine/compression_config.h"
#include "cpu_engine/cpu_model.h"
#include "cpu_engine/generate.h"
#include "cpu_engine/observed_decoder.h"
#include "formats/config.h"
#include "formats/weights.h"

namespace hkv::model {

struct EngineOptions {
  std::string device = "cpu";  // cpu | cuda | cuda:N | auto
  std::string dtype = "f16";   // GPU compute dtype: f16 (the reference's), bf16, f32
  int64_t prefill_chunk = 4096;
  // Tensor parallelism (M11): ranks of one model. On the CPU, threads joined by the in-process
  // group (cpu_engine/tensor_parallel.h); the GPU engine does not split yet (Unimplemented).
  int32_t tp = 1;
  // [layer][slot]: the KV-head placement (worker/tp_placement.h); empty: contiguous.
  std::vector<std::vector<int32_t>> head_order;
};

// One sample of a batch: its prompt, configs, capacity tables and generation limits (pointers
// must outlive the call).
struct SampleRequest {
  std::span<const int32_t> prompt;
  const std::vector<CompressionConfig>* configs = nullptr;
  const std::vector<std::vector<int32_t>>* head_caps = nullptr;
  GenerationConfig gen;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const LlamaConfig& config() const = 0;
  // "cpu" or "cuda:N (NVIDIA H100 ..., bf16)".
  virtual std::string description() const = 0;
  virtual Result<MultiRun> generate(std::span<const int32_t> prompt,
                                    const std::vector<CompressionConfig>& configs,
                                    const std::vector<std::vector<int32_t>>& head_caps,
                                    const GenerationConfig& gen,
                                    const TokenCallback& on_token = {}) = 0;

  // Several samples, one MultiRun each, in order. The GPU engine prefills each sample and decodes
  // all their configs as one batch (samples must share stop ids and min_new_tokens; each run's
  // decode_ms is the shared decode's time); the CPU engine runs them one after the other.
  virtual Result<std::vector<MultiRun>> generate_batch(const std::vector<SampleRequest>& samples);

  // Whether generate_batch decodes samples together (so batching them pays).
  virtual bool batches_samples() const { return false; }

  // The CPU model when this is the CPU engine.
  virtual const CpuModel* cpu_model() const { return nullptr; }

  // A FullKV decoder that exposes attention rows (head detection); lives no longer than this.
  virtual std::unique_ptr<ObservedDecoder> observed_decoder() = 0;
};

// Whether this build and host can run `cuda` (compiled with CUDA and >= 1 device visible).
bool gpu_available();
// CUDA devices visible (0 without CUDA).
int cuda_device_count();
// Memory `device` has: cuda:N, the GPU's total memory; cpu, the host's physical memory. 0 when it
// cannot be read.
int64_t device_memory_total(const std::string& device);
// Memory in use on `device`: cuda:N, the GPU's used memory (every process: total - free); cpu,
// this process's resident set. 0 when it cannot be read.
int64_t device_memory_used(const std::string& device);
// The worker devices of a spec: "cpu" -> {cpu}; "cuda" / "cuda:N" -> itself; "all" -> every
// visible GPU (FailedPrecondition when there is none); "auto" -> every visible GPU, else {cpu}.
// With tp > 1 the visible GPUs of "all" / "auto" are grouped, tp consecutive ones per worker
// ("cuda:0-1", "cuda:2-3", ...; InvalidArgument when tp does not divide their number); other specs
// are left as they are (the engine checks cuda:A-B against tp).
Result<std::vector<std::string>> expand_devices(const std::string& spec, int32_t tp = 1);

// Resolves `auto`, validates the device string and loads the model on it.
Result<std::unique_ptr<Engine>> load_engine(const ModelSource& source,
                                            const EngineOptions& options);

}  // namespace hkv::model
