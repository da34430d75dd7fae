// The GPU engine (ALGORITHMS.md §5): cuBLAS GEMMs and the kernels of kernels/ in one compute dtype
// (f16, bf16 or f32). Prefill runs layer-major in chunks: all chunks of layer l, then layer l's
// K/V are compressed for every config at once and the buffer is reused for layer l + 1, so the
// prompt's full KV never exists for more than one layer (the memory plan). Decode runs a GpuBatch
// of sequences with heterogeneous per-head caches in one pass per layer.
// Not thread-safe: one GpuModel per stream and thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "comm/device_communicator.h"
#include "common/status.h"
#include "cpu_engine/compression_config.h"
#include "cpu_engine/cpu_model.h"
#include "formats/config.h"
#include "formats/weights.h"
#include "gpu_engine/gpu_batch.h"
#include "gpu_engine/gpu_weights.h"
#include "kernels/cuda_graph.h"
#include "kernels/cuda_utils.h"
#include "kernels/device_buffer.h"
#include "kernels/gemm.h"

namespace hkv::model {
namespace gpu_internal {
struct LayerCall;
}  // namespace gpu_internal

struct GpuEngineOptions {
  int device = 0;
  kernels::DType dtype = kernels::DType::kBf16;
  int64_t prefill_chunk = 4096;  // query tokens per prefill GEMM/attention pass (shrunk to fit)
  bool decode_graphs = true;     // capture the decode step once per batch as a CUDA graph
  // generate_samples_gpu enqueues decode step k + 1 before it reads step k's tokens (the greedy
  // tokens feed the next step on the device), so the GPU never waits for the host between steps.
  // Single-GPU only: tensor-parallel ranks decode step by step.
  bool decode_ahead = true;
  // Tensor parallelism (M11), both or neither: this rank's shard (config() is then the shard's
  // shape) and its communicator on `device`. The forward all-reduces the o-proj and down-proj
  // outputs and gathers the LM head's vocabulary slices before the argmax.
  std::shared_ptr<const TpShard> tp;
  comm::DeviceCommunicator* comm = nullptr;
};

// "f16" / "fp16" / "float16", "bf16" / "bfloat16", "f32" / "float32"; InvalidArgument otherwise.
Result<kernels::DType> parse_compute_dtype(std::string_view name);

// Bytes of the prefill of `num_tokens` tokens besides the weights and the compressed caches.
struct GpuMemoryPlan {
  int64_t weights = 0;
  int64_t hidden_state = 0;  // residual stream + pending MLP output of every prompt token
  int64_t layer_kv = 0;      // one layer's full K/V (reused by every layer)
  int64_t chunk = 0;         // per-chunk activations
  int64_t scores = 0;        // window scores, sorted positions, top-k scratch
  int64_t chunk_tokens = 0;

  int64_t total() const { return weights + hidden_state + layer_kv + chunk + scores; }
};

GpuMemoryPlan plan_gpu_prefill(const LlamaConfig& config,
                               kernels::DType dtype,
                               int64_t num_tokens,
                               int64_t chunk_tokens,
                               int32_t window);

// Kept prefix positions of one config at one layer, per segment, in cache order (for tests and
// the CPU-overlap check).
using KeptPositions = std::vector<std::vector<int32_t>>;

struct GpuPrefillOptions {
  int32_t reserve_rows = 0;  // decode room per segment (max new tokens)
  bool fp16_scores = true;   // the GPU always scores in fp16 (§0.4); false is Unimplemented
  // When set: [config][layer] kept positions, filled during compression.
  std::vector<std::vector<KeptPositions>>* kept = nullptr;
};

struct GpuPrefillResult {
  GpuBatch batch;                  // one sequence per config, caches built
  std::vector<float> last_logits;  // [vocab] of the last prompt token, as float
  GpuMemoryPlan plan;
  double prefill_ms = 0.0;   // forward incl. compression (device time)
  double compress_ms = 0.0;  // of which compression
};

// One decode step's greedy tokens on their way to the host (GpuModel::enqueue_decode_step).
struct GpuDecodeSlot {
  kernels::PinnedBuffer<int32_t> host;  // [rows + 1]: the step's tokens, then the error flag
  kernels::CudaEvent done;              // recorded after the copies
  int64_t rows = 0;

  static Result<GpuDecodeSlot> create(int64_t rows);
};

class GpuModel {
 public:
  static Result<std::unique_ptr<GpuModel>> load(const ModelSource& source,
                                                const GpuEngineOptions& options);
  ~GpuModel();

  const LlamaConfig& config() const { return config_; }

  const TpShard* tp() const { return options_.tp.get(); }

  const GpuEngineOptions& options() const { return options_; }

  kernels::DType dtype() const { return weights_.dtype; }

  cudaStream_t stream() const { return stream_.get(); }

  const GpuWeights& weights() const { return weights_; }

  // Prefill of `ids` and compression for every config (`head_caps[i]` as in generate_multi).
  Result<GpuPrefillResult> prefill(std::span<const int32_t> ids,
                                   const std::vector<CompressionConfig>& configs,
                                   const std::vector<std::vector<int32_t>>& head_caps,
                                   const GpuPrefillOptions& options);

  // One decode step for every sequence of `batch`: sequence b feeds tokens[b] at positions[b].
  // Writes next tokens (argmax, `banned` ids excluded) and, when `logits` is set, the float logits
  // [B, vocab].
  Status decode_step(GpuBatch& batch,
                     std::span<const int32_t> tokens,
                     std::span<const int64_t> positions,
                     std::span<const int32_t> banned,
                     std::vector<int32_t>* next_tokens,
                     std::vector<float>* logits);

  // Decode with the host one step behind the device (GpuEngineOptions::decode_ahead):
  // start_decode uploads the first step's tokens and positions; enqueue_decode_step runs one step
  // whose greedy tokens (`banned` ids excluded) become the next step's input on the device (ids in
  // place, every position + 1) and are copied into `slot`; finish_decode_step waits for that step
  // only and hands its tokens over, while the steps enqueued after it keep the GPU busy.
  Status start_decode(GpuBatch& batch,
                      std::span<const int32_t> tokens,
                      std::span<const int64_t> positions);
  Status enqueue_decode_step(GpuBatch& batch, std::span<const int32_t> banned, GpuDecodeSlot* slot);
  Status finish_decode_step(GpuDecodeSlot& slot, std::vector<int32_t>* next_tokens);

  // decode_step without graphs that also hands `observer` every query head's float32 softmax row
  // over its segment, per sequence and layer (head detection on the GPU). No banned ids.
  Status decode_step_observed(GpuBatch& batch,
                              std::span<const int32_t> tokens,
                              std::span<const int64_t> positions,
                              const AttentionObserver& observer,
                              std::vector<int32_t>* next_tokens);

 private:
  GpuModel() = default;
  struct Scratch;
  struct PrefillBuffers;

  // The prefill's memory plan for `L` tokens: the chunk halves until the plan fits 90% of the
  // free memory; ResourceExhausted naming each part when even the smallest chunk does not fit.
  Result<GpuMemoryPlan> plan_prefill(int64_t L, int32_t w_rows) const;
  // Allocates b's whole-prompt buffers (b.L, b.w_rows set) and uploads the ids and positions.
  Status alloc_prefill_buffers(std::span<const int32_t> ids, PrefillBuffers& b);
  // Layer `l` over prompt rows [c0, c0 + n): norm, Q/K/V, RoPE, causal attention over rows
  // [0, c0 + n), the window's query rows kept for the scores, attention output and MLP.
  Status prefill_chunk(
      const GpuLayerWeights& W, int32_t l, int64_t c0, int64_t n, PrefillBuffers& b);

  // Activation buffers for `rows` token rows (grown, never shrunk; growth stales decode graphs).
  Status ensure_scratch(int64_t rows);
  // Logits buffers for `rows` rows (and the tensor-parallel slices); grown, never shrunk.
  Status ensure_logits(int64_t rows);
  // The per-layer calls on this model's handle, stream and (under tensor parallelism)
  // communicator.
  gpu_internal::LayerCall layer_call() const;
  // Under tensor parallelism: every rank's logits slice [rows, vocab_stride] gathered into
  // scratch's logits [rows, vocab].
  Status gather_logits(int64_t rows);
  // Final norm + lm head over `rows` hidden rows; logits in the compute dtype into scratch.
  Status logits_rows(const void* pending, void* resid, int64_t rows);
  // Enqueues the argmax of scratch's logits rows into `out` [rows] (device), `advance` as in
  // kernels::ArgmaxParams::advance_positions.
  Status enqueue_argmax(int64_t rows,
                        std::span<const int32_t> banned,
                        int32_t* out,
                        int64_t* advance);
  Status argmax_rows(int64_t rows, std::span<const int32_t> banned, std::vector<int32_t>* out);
  Status copy_logits(int64_t rows, std::vector<float>* out);
  // The device work of one decode step (embedding .. logits) for the tokens and positions already
  // in scratch: captured into the batch's graph or run directly.
  Status decode_body(GpuBatch& batch, float* probs = nullptr, int64_t probs_stride = 0);
  // decode_body through the batch's graph (captured when missing or stale) or directly.
  Status run_decode_body(GpuBatch& batch);
  Status prepare_decode(GpuBatch& batch,
                        std::span<const int32_t> tokens,
                        std::span<const int64_t> positions);

  LlamaConfig config_;
  GpuEngineOptions options_;
  kernels::CudaStream stream_;
  kernels::CublasHandle cublas_;
  GpuWeights weights_;
  kernels::DeviceBuffer<float> inv_freq_;  // [head_dim / 2]
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace hkv::model
