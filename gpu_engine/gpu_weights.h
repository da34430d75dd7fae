// The model's weights on one GPU, in the compute dtype (f16, bf16 or f32): uploaded tensor by
// tensor from a ModelSource (float32 on the host, converted on the device), so host memory holds
// one tensor at a time. gate and up are fused into one [2 * intermediate, hidden] matrix.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "cpu_engine/tensor_parallel.h"
#include "formats/config.h"
#include "formats/weights.h"
#include "kernels/cuda_utils.h"
#include "kernels/device_buffer.h"

namespace hkv::model {

using DeviceBytes = kernels::DeviceBuffer<uint8_t>;

struct GpuLayerWeights {
  DeviceBytes attn_norm;  // [hidden]
  DeviceBytes wq;         // [num_q_heads * head_dim, hidden]
  DeviceBytes wk;         // [num_kv_heads * head_dim, hidden]
  DeviceBytes wv;         // [num_kv_heads * head_dim, hidden]
  DeviceBytes wo;         // [hidden, num_q_heads * head_dim]
  DeviceBytes ffn_norm;   // [hidden]
  DeviceBytes w_gate_up;  // [2 * intermediate, hidden]: gate rows, then up rows
  DeviceBytes w_down;     // [hidden, intermediate]
};

struct GpuWeights {
  kernels::DType dtype = kernels::DType::kBf16;
  DeviceBytes token_embd;   // [vocab, hidden]
  DeviceBytes output_norm;  // [hidden]
  DeviceBytes lm_head;      // [vocab, hidden]; empty when tied (use token_embd)
  std::vector<GpuLayerWeights> layers;
  int64_t bytes = 0;  // total device bytes

  const void* lm_head_ptr() const {
    return lm_head.size() > 0 ? lm_head.data() : token_embd.data();
  }  // [vocab, hidden]
};

// Bytes the weights of `config` take in `dtype` (the memory planner's first term).
int64_t gpu_weight_bytes(const LlamaConfig& config, kernels::DType dtype);

// Uploads every tensor of `source` (validated against its config's shapes) on `stream`; with `tp`
// only that rank's shard (TpShard::shard_weight, the LM head's padded vocabulary slice), sliced on
// the host tensor by tensor.
Result<GpuWeights> upload_weights(const ModelSource& source,
                                  kernels::DType dtype,
                                  cudaStream_t stream,
                                  const TpShard* tp = nullptr);

}  // namespace hkv::model
