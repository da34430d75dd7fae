// `headkv inspect PATH`: config, tensor table, dtype/quantisation summary and memory needed.
#include "cli/inspect.h"

#include <cstdio>
#include <map>

#include "common/strings.h"
#include "formats/gguf.h"
#include "formats/weights.h"

namespace hkv::cli {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? " x " : "") + std::to_string(shape[i]);
  }
  return s;
}

// Only the first layer's tensors and the global ones, unless --all: 30 layers of identical rows
// say nothing more.
bool show_tensor(const std::string& name, bool all) {
  if (all) {
    return true;
  }
  bool layered = name.rfind("blk.", 0) == 0 || name.rfind("model.layers.", 0) == 0;
  return !layered || name.rfind("blk.0.", 0) == 0 || name.rfind("model.layers.0.", 0) == 0;
}

}  // namespace

int run_inspect(const InspectOptions& options) {
  auto source = model::ModelSource::open(options.path);
  if (!source.ok()) {
    std::fprintf(stderr, "headkv inspect: %s\n", source.status().to_string().c_str());
    return 1;
  }
  const model::LlamaConfig& c = source->config();
  std::printf("model:   %s (%s, %s)\n", options.path.c_str(), c.model_name.c_str(),
              source->is_gguf() ? strformat("GGUF v%u", source->gguf()->version()).c_str()
                                : "Hugging Face safetensors");
  std::printf("config:  %s, %s\n", c.architecture.c_str(), c.summary().c_str());
  std::printf("params:  %.1f M\n", static_cast<double>(c.num_parameters()) / 1e6);

  std::vector<model::StoredTensor> tensors = source->stored_tensors();
  std::map<std::string, std::pair<int, uint64_t>> by_dtype;
  uint64_t stored = 0;
  int64_t elements = 0;
  std::printf("\n%-48s %-16s %-6s %12s\n", "tensor", "shape", "dtype", "bytes");
  for (const auto& t : tensors) {
    auto& [count, bytes] = by_dtype[t.dtype];
    ++count;
    bytes += t.bytes;
    stored += t.bytes;
    int64_t n = 1;
    for (int64_t d : t.shape) {
      n *= d;
    }
    elements += n;
    if (show_tensor(t.name, options.all_tensors)) {
      std::printf("%-48s %-16s %-6s %12llu\n", t.name.c_str(), shape_text(t.shape).c_str(),
                  t.dtype.c_str(), static_cast<unsigned long long>(t.bytes));
    }
  }
  if (!options.all_tensors) {
    std::printf("... (%zu tensors in all; --all lists every one)\n", tensors.size());
  }
  std::printf("\ndtypes:  ");
  for (const auto& [dtype, cb] : by_dtype) {
    std::printf("%s x%d (%s)  ", dtype.c_str(), cb.first, format_bytes(cb.second).c_str());
  }
  std::printf("\nmemory:  stored %s; float32 CPU engine %s; bf16/fp16 GPU weights %s\n",
              format_bytes(stored).c_str(), format_bytes(elements * 4).c_str(),
              format_bytes(elements * 2).c_str());
  int64_t kv_per_token = int64_t{2} * c.num_layers * c.num_kv_heads * c.head_dim * 2;
  std::printf("kv cache: %s per token in fp16 (full KV; %s at %lld tokens)\n",
              format_bytes(kv_per_token).c_str(),
              format_bytes(kv_per_token * c.max_position_embeddings).c_str(),
              static_cast<long long>(c.max_position_embeddings));
  return 0;
}

}  // namespace hkv::cli
