// CpuEngine wraps CpuModel + generate_multi; GpuEngine wraps GpuModel + generate_multi_gpu (CUDA
// builds only).
#include "model/engine.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "common/strings.h"
#include "cpu_engine/tensor_parallel.h"

#if HKV_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "gpu_engine/gpu_generate.h"
#include "gpu_engine/gpu_model.h"
#include "gpu_engine/gpu_observed_decoder.h"
#include "gpu_engine/gpu_tp.h"
#include "gpu_engine/nccl_comm.h"
#endif

#if HKV_HAVE_CUDA
#define HKV_HAVE_CUDA_STR ""
#else
#define HKV_HAVE_CUDA_STR " (this headkv was built without CUDA)"
#endif

namespace hkv::model {
namespace {

class CpuEngine final : public Engine {
 public:
  explicit CpuEngine(CpuModel model) : model_(std::move(model)) {}

  const LlamaConfig& config() const override { return model_.config(); }

  std::string description() const override { return "cpu"; }

  Result<MultiRun> generate(std::span<const int32_t> prompt,
                            const std::vector<CompressionConfig>& configs,
                            const std::vector<std::vector<int32_t>>& head_caps,
                            const GenerationConfig& gen,
                            const TokenCallback& on_token) override {
    return generate_multi(model_, prompt, configs, head_caps, gen, on_token);
  }

  const CpuModel* cpu_model() const override { return &model_; }

  std::unique_ptr<ObservedDecoder> observed_decoder() override { return make_cpu_decoder(model_); }

 private:
  CpuModel model_;
};

// The CPU engine split over `tp` threads. Keeps the whole model too: the observing decoder of
// head detection runs on it (so a CPU tensor-parallel engine holds the weights twice).
class CpuTpEngine final : public Engine {
 public:
  CpuTpEngine(CpuModel full, std::unique_ptr<TpCpuModel> tp, bool balanced)
      : full_(std::move(full)), tp_(std::move(tp)), balanced_(balanced) {}

  const LlamaConfig& config() const override { return full_.config(); }

  std::string description() const override {
    return strformat("cpu, tensor-parallel over %d threads (%s placement)", tp_->ranks(),
                     balanced_ ? "balanced" : "contiguous");
  }

  Result<MultiRun> generate(std::span<const int32_t> prompt,
                            const std::vector<CompressionConfig>& configs,
                            const std::vector<std::vector<int32_t>>& head_caps,
                            const GenerationConfig& gen,
                            const TokenCallback& on_token) override {
    return tp_->generate(prompt, configs, head_caps, gen, on_token);
  }

  const CpuModel* cpu_model() const override { return &full_; }

  std::unique_ptr<ObservedDecoder> observed_decoder() override { return make_cpu_decoder(full_); }

 private:
  CpuModel full_;
  std::unique_ptr<TpCpuModel> tp_;
  bool balanced_;
};

#if HKV_HAVE_CUDA
// Head detection observes one whole model's attention rows; a tensor-parallel GPU engine holds
// shards only.
class NoObservedDecoder final : public ObservedDecoder {
 public:
  explicit NoObservedDecoder(const LlamaConfig& config) : config_(config) {}

  const LlamaConfig& config() const override { return config_; }

  Status begin(std::span<const int32_t>, int32_t) override {
    return errorf(StatusCode::kUnimplemented,
                  "head detection on a tensor-parallel GPU engine: run it with --tp 1");
  }

  Result<int32_t> step(int32_t, int64_t, const AttentionObserver&) override {
    return errorf(StatusCode::kUnimplemented,
                  "head detection on a tensor-parallel GPU engine: run it with --tp 1");
  }

 private:
  LlamaConfig config_;
};

// What the two GPU engines share: the model they own and the description they were built with.
template <typename Model>
class GpuEngineBase : public Engine {
 public:
  GpuEngineBase(std::unique_ptr<Model> model, std::string description)
      : model_(std::move(model)), description_(std::move(description)) {}

  const LlamaConfig& config() const override { return model_->config(); }

  std::string description() const override { return description_; }

 protected:
  std::unique_ptr<Model> model_;

 private:
  std::string description_;
};

class GpuTpEngine final : public GpuEngineBase<TpGpuModel> {
 public:
  using GpuEngineBase::GpuEngineBase;

  Result<MultiRun> generate(std::span<const int32_t> prompt,
                            const std::vector<CompressionConfig>& configs,
                            const std::vector<std::vector<int32_t>>& head_caps,
                            const GenerationConfig& gen,
                            const TokenCallback& on_token) override {
    return model_->generate(prompt, configs, head_caps, gen, on_token);
  }

  std::unique_ptr<ObservedDecoder> observed_decoder() override {
    return std::make_unique<NoObservedDecoder>(model_->config());
  }
};

class GpuEngine final : public GpuEngineBase<GpuModel> {
 public:
  using GpuEngineBase::GpuEngineBase;

  Result<MultiRun> generate(std::span<const int32_t> prompt,
                            const std::vector<CompressionConfig>& configs,
                            const std::vector<std::vector<int32_t>>& head_caps,
                            const GenerationConfig& gen,
                            const TokenCallback& on_token) override {
    return generate_multi_gpu(*model_, prompt, configs, head_caps, gen, on_token);
  }

  Result<std::vector<MultiRun>> generate_batch(const std::vector<SampleRequest>& samples) override {
    std::vector<GpuSampleRequest> requests;
    requests.reserve(samples.size());
    for (const SampleRequest& s : samples) {
      requests.push_back({s.prompt, s.configs, s.head_caps, s.gen});
    }
    return generate_samples_gpu(*model_, requests);
  }

  bool batches_samples() const override { return true; }

  std::unique_ptr<ObservedDecoder> observed_decoder() override { return make_gpu_decoder(*model_); }
};
#endif

}  // namespace

Result<std::vector<MultiRun>> Engine::generate_batch(const std::vector<SampleRequest>& samples) {
  std::vector<MultiRun> out;
  out.reserve(samples.size());
  for (size_t k = 0; k < samples.size(); ++k) {
    const SampleRequest& s = samples[k];
    if (s.configs == nullptr || s.head_caps == nullptr) {
      return errorf(StatusCode::kInvalidArgument,
                    "generate_batch: sample %zu has no configs or head_caps", k);
    }
    Result<MultiRun> run = generate(s.prompt, *s.configs, *s.head_caps, s.gen);
    if (!run.ok()) {
      return run.status().with_context("sample %zu of %zu", k, samples.size());
    }
    out.push_back(*std::move(run));
  }
  return out;
}

int cuda_device_count() {
#if HKV_HAVE_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear "no device"
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

int64_t device_memory_used(const std::string& device) {
  if (device.rfind("cuda", 0) == 0) {
#if HKV_HAVE_CUDA
    const int index = device.size() > 5 ? std::atoi(device.c_str() + 5) : 0;
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaSetDevice(index) != cudaSuccess ||
        cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return static_cast<int64_t>(total_bytes - free_bytes);
#else
    return 0;
#endif
  }
  // /proc/self/statm: size resident ... in pages.
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) {
    return 0;
  }
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

int64_t device_memory_total(const std::string& device) {
  if (device.rfind("cuda", 0) == 0) {
#if HKV_HAVE_CUDA
    const int index = device.size() > 5 ? std::atoi(device.c_str() + 5) : 0;
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaSetDevice(index) != cudaSuccess ||
        cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return static_cast<int64_t>(total_bytes);
#else
    return 0;
#endif
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

bool gpu_available() {
  return cuda_device_count() > 0;
}

Result<std::vector<std::string>> expand_devices(const std::string& spec, int32_t tp) {
  if (spec == "auto") {
    return gpu_available() ? expand_devices("all", tp)
                           : Result<std::vector<std::string>>(std::vector<std::string>{"cpu"});
  }
  if (spec == "all") {
    const int n = cuda_device_count();
    if (n == 0) {
      return errorf(StatusCode::kFailedPrecondition, "--device all: no CUDA device is visible%s",
                    HKV_HAVE_CUDA_STR);
    }
    if (tp > 1 && n % tp != 0) {
      return errorf(StatusCode::kInvalidArgument,
                    "--device all --tp %d: %d visible GPUs do not split into groups of %d", tp, n,
                    tp);
    }
    std::vector<std::string> out;
    for (int i = 0; i < n; i += std::max(tp, 1)) {
      out.push_back(tp > 1 ? strformat("cuda:%d-%d", i, i + tp - 1) : strformat("cuda:%d", i));
    }
    return out;
  }
  if (spec == "cpu" || spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    return std::vector<std::string>{spec};
  }
  return errorf(StatusCode::kInvalidArgument, "device '%s', expected cpu, cuda:N or all",
                spec.c_str());
}

Result<std::unique_ptr<Engine>> load_engine(const ModelSource& source,
                                            const EngineOptions& options) {
  std::string device = options.device;
  if (device == "auto") {
    device = gpu_available() ? "cuda:0" : "cpu";
  }
  if (options.tp < 1) {
    return errorf(StatusCode::kInvalidArgument, "--tp %d, expected >= 1", options.tp);
  }
  if (device == "cpu") {
    HKV_ASSIGN_OR_RETURN(CpuModel cpu, CpuModel::load(source));
    if (options.tp == 1) {
      return std::unique_ptr<Engine>(new CpuEngine(std::move(cpu)));
    }
    const bool balanced = !options.head_order.empty();
    std::vector<std::vector<int32_t>> order =
        balanced ? options.head_order : contiguous_order(cpu.config());
    HKV_ASSIGN_OR_RETURN(std::unique_ptr<TpCpuModel> tp,
                         TpCpuModel::split(cpu, std::move(order), options.tp));
    return std::unique_ptr<Engine>(new CpuTpEngine(std::move(cpu), std::move(tp), balanced));
  }
  // cuda, cuda:N, or cuda:A-B (tensor parallelism over GPUs A..B).
  int index = 0, last = -1;
  const size_t dash = device.find('-');
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() < 4 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (device == "cuda") {
    index = 0;
  } else if (device.rfind("cuda:", 0) == 0 && dash == std::string::npos &&
             digits(device.substr(5))) {
    index = std::atoi(device.c_str() + 5);
  } else if (device.rfind("cuda:", 0) == 0 && dash != std::string::npos &&
             digits(device.substr(5, dash - 5)) && digits(device.substr(dash + 1))) {
    index = std::atoi(device.c_str() + 5);
    last = std::atoi(device.c_str() + dash + 1);
    if (last < index || (options.tp > 1 && options.tp != last - index + 1)) {
      return errorf(StatusCode::kInvalidArgument,
                    "device '%s' with --tp %d: expected cuda:A-B with A <= B and B - A + 1 = --tp",
                    device.c_str(), options.tp);
    }
  } else {
    return errorf(StatusCode::kInvalidArgument,
                  "device '%s', expected cpu, cuda, cuda:N, cuda:A-B or auto",
                  options.device.c_str());
  }
  const int ranks = last >= 0 ? last - index + 1 : options.tp;
#if HKV_HAVE_CUDA
  GpuEngineOptions go;
  go.device = index;
  go.prefill_chunk = options.prefill_chunk;
  HKV_ASSIGN_OR_RETURN(go.dtype, parse_compute_dtype(options.dtype));
  if (!gpu_available()) {
    return errorf(StatusCode::kFailedPrecondition,
                  "device '%s': no CUDA device is visible on this host", device.c_str());
  }
  cudaDeviceProp prop{};
  if (ranks > 1) {
    if (index + ranks > cuda_device_count()) {
      return errorf(StatusCode::kInvalidArgument,
                    "tensor parallelism over cuda:%d-%d: this host has %d CUDA devices", index,
                    index + ranks - 1, cuda_device_count());
    }
    std::vector<int> devices;
    for (int r = 0; r < ranks; ++r) {
      devices.push_back(index + r);
    }
    const bool balanced = !options.head_order.empty();
    HKV_ASSIGN_OR_RETURN(
        std::unique_ptr<TpGpuModel> tp,
        TpGpuModel::load(source, go, devices,
                         balanced ? options.head_order : contiguous_order(source.config())));
    std::string name = cudaGetDeviceProperties(&prop, index) == cudaSuccess ? prop.name : "?";
    std::string desc =
        strformat("cuda:%d-%d (%s, %s), tensor-parallel x%d over %s, %s placement", index,
                  index + ranks - 1, name.c_str(), kernels::dtype_name(go.dtype), ranks,
                  nccl_version().c_str(), balanced ? "balanced" : "contiguous");
    return std::unique_ptr<Engine>(new GpuTpEngine(std::move(tp), std::move(desc)));
  }
  HKV_ASSIGN_OR_RETURN(std::unique_ptr<GpuModel> gpu, GpuModel::load(source, go));
  std::string name = cudaGetDeviceProperties(&prop, index) == cudaSuccess ? prop.name : "?";
  std::string desc =
      strformat("cuda:%d (%s, %s)", index, name.c_str(), kernels::dtype_name(go.dtype));
  return std::unique_ptr<Engine>(new GpuEngine(std::move(gpu), std::move(desc)));
#else
  (void)index;
  (void)ranks;
  return errorf(StatusCode::kFailedPrecondition,
                "device '%s': this headkv was built without CUDA (cpu only)", device.c_str());
#endif
}

}  // namespace hkv::model
