// Weight upload: each float32 host tensor goes through one reusable device staging buffer and the
// convert kernel into its dtype slot.
#include "gpu_engine/gpu_weights.h"

#include <string>
#include <utility>

#include "kernels/convert.h"

namespace hkv::model {
namespace {

using kernels::DType;

struct Uploader {
  const ModelSource& source;
  DType dtype;
  cudaStream_t stream;
  const TpShard* tp;
  kernels::DeviceBuffer<float> staging;  // [largest tensor so far]
  int64_t total = 0;

  // Converts `t` into dst at element offset `offset` (dst sized by the caller).
  Status put(const HostTensor& t, DeviceBytes* dst, int64_t offset) {
    if (staging.size() < static_cast<size_t>(t.numel())) {
      HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
      HKV_ASSIGN_OR_RETURN(staging, kernels::DeviceBuffer<float>::allocate(t.numel()));
    }
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(
        staging.data(), t.data.data(), t.numel() * sizeof(float), cudaMemcpyHostToDevice, stream));
    kernels::ConvertParams p;
    p.in = staging.data();
    p.out = dst->data() + offset * static_cast<int64_t>(kernels::dtype_size(dtype));
    p.num_elements = t.numel();
    p.in_dtype = DType::kF32;
    p.out_dtype = dtype;
    if (dtype == DType::kF32) {
      HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(p.out, staging.data(), t.numel() * sizeof(float),
                                               cudaMemcpyDeviceToDevice, stream));
    } else {
      HKV_RETURN_IF_ERROR(kernels::launch_convert(p, stream));
    }
    // The host tensor dies when the caller returns: wait for the copy before that.
    HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
    return Status();
  }

  Result<DeviceBytes> alloc(int64_t elements) {
    HKV_ASSIGN_OR_RETURN(DeviceBytes b,
                         DeviceBytes::allocate(elements * kernels::dtype_size(dtype)));
    total += static_cast<int64_t>(b.bytes());
    return b;
  }

  // `id` of `layer` from the source, this rank's part of it under tensor parallelism.
  Result<HostTensor> read(WeightId id, int layer) {
    HKV_ASSIGN_OR_RETURN(HostTensor t, source.load(id, layer));
    if (tp == nullptr) {
      return t;
    }
    return id == WeightId::kLmHead ? tp->shard_lm_head(t) : tp->shard_weight(id, layer, t);
  }

  Result<DeviceBytes> load(WeightId id, int layer, int64_t expect_numel) {
    HKV_ASSIGN_OR_RETURN(HostTensor t, read(id, layer));
    if (t.numel() != expect_numel) {
      return errorf(StatusCode::kInvalidArgument,
                    "weight '%s' has %lld elements, expected %lld from the config",
                    hf_tensor_name(id, layer).c_str(), static_cast<long long>(t.numel()),
                    static_cast<long long>(expect_numel));
    }
    HKV_ASSIGN_OR_RETURN(DeviceBytes b, alloc(expect_numel));
    HKV_RETURN_IF_ERROR(put(t, &b, 0));
    return b;
  }
};

}  // namespace

int64_t gpu_weight_bytes(const LlamaConfig& c, DType dtype) {
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;
  const int64_t per_layer = 2 * h + qd * h + 2 * kvd * h + h * qd + 3 * im * h;
  const int64_t global = int64_t{c.vocab_size} * h * (c.tie_word_embeddings ? 1 : 2) + h;
  return (per_layer * c.num_layers + global) * static_cast<int64_t>(kernels::dtype_size(dtype));
}

Result<GpuWeights> upload_weights(const ModelSource& source,
                                  DType dtype,
                                  cudaStream_t stream,
                                  const TpShard* tp) {
  HKV_RETURN_IF_ERROR(source.config().validate());
  const LlamaConfig c = tp != nullptr ? tp->local_config() : source.config();
  Uploader up{source, dtype, stream, tp, {}, 0};
  GpuWeights w;
  w.dtype = dtype;
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size,
                vocab = c.vocab_size;
  HKV_ASSIGN_OR_RETURN(w.token_embd, up.load(WeightId::kTokenEmbd, 0, vocab * h));
  HKV_ASSIGN_OR_RETURN(w.output_norm, up.load(WeightId::kOutputNorm, 0, h));
  if (tp != nullptr) {  // the vocabulary slice, from the embedding when the model ties them
    const WeightId head =
        source.config().tie_word_embeddings ? WeightId::kTokenEmbd : WeightId::kLmHead;
    HKV_ASSIGN_OR_RETURN(HostTensor t, source.load(head, 0));
    const HostTensor slice = tp->shard_lm_head(t);
    HKV_ASSIGN_OR_RETURN(w.lm_head, up.alloc(slice.numel()));
    HKV_RETURN_IF_ERROR(up.put(slice, &w.lm_head, 0));
  } else if (!c.tie_word_embeddings) {
    HKV_ASSIGN_OR_RETURN(w.lm_head, up.load(WeightId::kLmHead, 0, vocab * h));
  }
  for (int l = 0; l < c.num_layers; ++l) {
    GpuLayerWeights L;
    HKV_ASSIGN_OR_RETURN(L.attn_norm, up.load(WeightId::kAttnNorm, l, h));
    HKV_ASSIGN_OR_RETURN(L.wq, up.load(WeightId::kWq, l, qd * h));
    HKV_ASSIGN_OR_RETURN(L.wk, up.load(WeightId::kWk, l, kvd * h));
    HKV_ASSIGN_OR_RETURN(L.wv, up.load(WeightId::kWv, l, kvd * h));
    HKV_ASSIGN_OR_RETURN(L.wo, up.load(WeightId::kWo, l, h * qd));
    HKV_ASSIGN_OR_RETURN(L.ffn_norm, up.load(WeightId::kFfnNorm, l, h));
    HKV_ASSIGN_OR_RETURN(L.w_gate_up, up.alloc(2 * im * h));
    for (auto [id, offset] :
         {std::pair{WeightId::kWGate, int64_t{0}}, std::pair{WeightId::kWUp, im * h}}) {
      HKV_ASSIGN_OR_RETURN(HostTensor t, up.read(id, l));
      if (t.numel() != im * h) {
        return errorf(StatusCode::kInvalidArgument,
                      "weight '%s' has %lld elements, expected %lld from the config",
                      hf_tensor_name(id, l).c_str(), static_cast<long long>(t.numel()),
                      static_cast<long long>(im * h));
      }
      HKV_RETURN_IF_ERROR(up.put(t, &L.w_gate_up, offset));
    }
    HKV_ASSIGN_OR_RETURN(L.w_down, up.load(WeightId::kWDown, l, h * im));
    w.layers.push_back(std::move(L));
  }
  w.bytes = up.total;
  return w;
}

}  // namespace hkv::model
