// GPU forward pass. Residual bookkeeping follows HF exactly with the fused-residual RMSNorm:
// `resid` holds the hidden state h, `pending` the last MLP output; the next norm computes
// h = pending + resid (rounded to the dtype, as HF's `residual + hidden_states`) in place, so
// every rounding step of HF's bf16/fp16 forward is reproduced.
#include "gpu_engine/gpu_model.h"

#include <algorithm>
#include <chrono>

#include "cpu_engine/rope.h"
#include "gpu_engine/gpu_compress.h"
#include "gpu_engine/gpu_layer.h"
#include "kernels/argmax.h"
#include "kernels/attention_decode.h"
#include "kernels/attention_prefill.h"
#include "kernels/convert.h"
#include "kernels/kv_cache_ops.h"
#include "kernels/model_ops.h"
#include "kernels/rms_norm.h"
#include "kernels/rope.h"
#include "kernels/silu_mul.h"

namespace hkv::model {
using namespace gpu_internal;  // NOLINT: the engine's own internal helpers

using kernels::DeviceBuffer;
using kernels::DType;

namespace {

// The decode step's error flag (embedding ids, cache appends) as a status.
Status decode_flag_status(int32_t flag) {
  if (flag != 0) {
    return errorf(StatusCode::kInternal,
                  "GPU decode: a token id was outside the vocabulary or a cache segment was full");
  }
  return Status();
}

}  // namespace

Result<DType> parse_compute_dtype(std::string_view name) {
  if (name == "f16" || name == "fp16" || name == "float16") {
    return DType::kF16;
  }
  if (name == "bf16" || name == "bfloat16") {
    return DType::kBf16;
  }
  if (name == "f32" || name == "fp32" || name == "float32") {
    return DType::kF32;
  }
  return errorf(StatusCode::kInvalidArgument, "dtype '%.*s', expected f16, bf16 or f32",
                static_cast<int>(name.size()), name.data());
}

GpuMemoryPlan plan_gpu_prefill(
    const LlamaConfig& c, DType dtype, int64_t num_tokens, int64_t chunk_tokens, int32_t window) {
  const int64_t e = static_cast<int64_t>(kernels::dtype_size(dtype));
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;
  GpuMemoryPlan p;
  p.chunk_tokens = std::min(chunk_tokens, num_tokens);
  p.weights = gpu_weight_bytes(c, dtype);
  p.hidden_state = 2 * num_tokens * h * e;
  p.layer_kv = 2 * num_tokens * kvd * e + (dtype != DType::kF16 ? num_tokens * kvd * 2 : 0) +
               int64_t{window} * qd * e;
  p.chunk = p.chunk_tokens * (2 * h + 2 * qd + 3 * im) * e;
  // Per score key: q-head scores (f16), sorted positions (int32) and the sort's double buffers.
  p.scores = 3 * int64_t{c.num_q_heads} * num_tokens * (2 + 4 + 8);
  return p;
}

GpuModel::~GpuModel() = default;

Result<std::unique_ptr<GpuModel>> GpuModel::load(const ModelSource& source,
                                                 const GpuEngineOptions& options) {
  int count = 0;
  HKV_CUDA_RETURN_IF_ERROR(cudaGetDeviceCount(&count));
  if (options.device < 0 || options.device >= count) {
    return errorf(StatusCode::kInvalidArgument, "GPU engine: device cuda:%d, this host has %d",
                  options.device, count);
  }
  HKV_CUDA_RETURN_IF_ERROR(cudaSetDevice(options.device));
  std::unique_ptr<GpuModel> m(new GpuModel());
  if ((options.tp == nullptr) != (options.comm == nullptr)) {
    return errorf(StatusCode::kInvalidArgument,
                  "GPU engine: tensor parallelism needs both a shard and a communicator");
  }
  if (options.comm != nullptr && options.comm->device() != options.device) {
    return errorf(StatusCode::kInvalidArgument,
                  "GPU engine: rank %d's communicator is on cuda:%d, the model on cuda:%d",
                  options.comm->rank(), options.comm->device(), options.device);
  }
  m->config_ = options.tp != nullptr ? options.tp->local_config() : source.config();
  m->options_ = options;
  if (m->config_.head_dim != 64 && m->config_.head_dim != 128) {
    return errorf(StatusCode::kUnimplemented,
                  "GPU engine: head_dim %d (the attention kernels are compiled for 64 and 128)",
                  m->config_.head_dim);
  }
  if (options.prefill_chunk < 16) {
    return errorf(StatusCode::kInvalidArgument, "GPU engine: prefill_chunk %lld, expected >= 16",
                  static_cast<long long>(options.prefill_chunk));
  }
  HKV_ASSIGN_OR_RETURN(m->stream_, kernels::CudaStream::create());
  HKV_ASSIGN_OR_RETURN(m->cublas_, kernels::CublasHandle::create(m->stream_.get()));
  HKV_ASSIGN_OR_RETURN(m->weights_,
                       upload_weights(source, options.dtype, m->stream_.get(), options.tp.get()));
  Rope rope(m->config_);
  HKV_ASSIGN_OR_RETURN(m->inv_freq_, DeviceBuffer<float>::allocate(rope.inv_freq().size()));
  HKV_RETURN_IF_ERROR(m->inv_freq_.copy_from_host(rope.inv_freq().data(), m->stream_.get()));
  HKV_RETURN_IF_ERROR(m->stream_.synchronize());
  m->scratch_ = std::make_unique<Scratch>();
  return m;
}

Status GpuModel::ensure_scratch(int64_t rows) {
  Scratch& s = *scratch_;
  if (s.rows >= rows) {
    return Status();
  }
  const DType d = dtype();
  const LlamaConfig& c = config_;
  const int64_t h = c.hidden_size, qd = int64_t{c.num_q_heads} * c.head_dim,
                kvd = int64_t{c.num_kv_heads} * c.head_dim, im = c.intermediate_size;
  const uint64_t generation = s.generation + 1;
  s = Scratch();
  s.generation = generation;
  HKV_ASSIGN_OR_RETURN(s.x, alloc_elems(rows * h, d));
  HKV_ASSIGN_OR_RETURN(s.q, alloc_elems(rows * qd, d));
  HKV_ASSIGN_OR_RETURN(s.k, alloc_elems(rows * kvd, d));
  HKV_ASSIGN_OR_RETURN(s.v, alloc_elems(rows * kvd, d));
  HKV_ASSIGN_OR_RETURN(s.attn, alloc_elems(rows * qd, d));
  HKV_ASSIGN_OR_RETURN(s.tmp, alloc_elems(rows * h, d));
  HKV_ASSIGN_OR_RETURN(s.gate_up, alloc_elems(rows * 2 * im, d));
  HKV_ASSIGN_OR_RETURN(s.act, alloc_elems(rows * im, d));
  HKV_ASSIGN_OR_RETURN(s.resid, alloc_elems(rows * h, d));
  HKV_ASSIGN_OR_RETURN(s.pending, alloc_elems(rows * h, d));
  HKV_ASSIGN_OR_RETURN(s.ids, DeviceBuffer<int32_t>::allocate(rows));
  HKV_ASSIGN_OR_RETURN(s.next, DeviceBuffer<int32_t>::allocate(rows));
  HKV_ASSIGN_OR_RETURN(s.positions, DeviceBuffer<int64_t>::allocate(rows));
  HKV_ASSIGN_OR_RETURN(s.banned, DeviceBuffer<int32_t>::allocate(64));
  HKV_ASSIGN_OR_RETURN(s.error_flag, DeviceBuffer<int32_t>::allocate(1));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(s.error_flag.data(), 0, 4, stream()));
  s.rows = rows;
  return Status();
}

Status GpuModel::logits_rows(const void* pending, void* resid, int64_t rows) {
  Scratch& s = *scratch_;
  const LlamaConfig& c = config_;
  LayerCall call = layer_call();
  HKV_RETURN_IF_ERROR(call.norm(s.x.data(), pending, resid, weights_.output_norm, rows));
  const TpShard* tp = options_.tp.get();
  HKV_RETURN_IF_ERROR(ensure_logits(rows));
  kernels::LinearParams p;
  p.out = tp != nullptr ? s.logits_local.data() : s.logits.data();
  p.in = s.x.data();
  p.weight = weights_.lm_head_ptr();
  p.m = rows;
  p.n = tp != nullptr ? tp->vocab_stride : c.vocab_size;  // this rank's padded slice
  p.k = c.hidden_size;
  p.dtype = dtype();
  p.out_dtype = dtype();  // HF computes the lm head in the model dtype
  HKV_RETURN_IF_ERROR(kernels::launch_linear(cublas_, p));
  return tp != nullptr ? gather_logits(rows) : Status();
}

Status GpuModel::ensure_logits(int64_t rows) {
  Scratch& s = *scratch_;
  const LlamaConfig& c = config_;
  const TpShard* tp = options_.tp.get();
  if (s.logits.size() >= static_cast<size_t>(rows * c.vocab_size * kernels::dtype_size(dtype()))) {
    return Status();
  }
  // Every buffer is allocated before any is replaced: a failure leaves the old set whole, so the
  // size check above never passes on a half-grown set.
  HKV_ASSIGN_OR_RETURN(DeviceBytes logits, alloc_elems(rows * c.vocab_size, dtype()));
  HKV_ASSIGN_OR_RETURN(auto logits_f32, DeviceBuffer<float>::allocate(rows * c.vocab_size));
  if (tp != nullptr) {
    HKV_ASSIGN_OR_RETURN(DeviceBytes local, alloc_elems(rows * tp->vocab_stride, dtype()));
    HKV_ASSIGN_OR_RETURN(DeviceBytes all,
                         alloc_elems(int64_t{tp->ranks} * rows * tp->vocab_stride, dtype()));
    s.logits_local = std::move(local);
    s.logits_all = std::move(all);
  }
  s.logits_f32 = std::move(logits_f32);
  s.logits = std::move(logits);  // last: the size check above reads it
  ++s.generation;                // captured decode graphs point at the old buffers
  return Status();
}

LayerCall GpuModel::layer_call() const {
  return LayerCall{&cublas_, &config_, dtype(), stream(), options_.comm};
}

Status GpuModel::gather_logits(int64_t rows) {
  Scratch& s = *scratch_;
  const TpShard& tp = *options_.tp;
  const DType d = dtype();
  HKV_RETURN_IF_ERROR(options_.comm->all_gather(s.logits_local.data(), s.logits_all.data(),
                                                rows * tp.vocab_stride, device_dtype(d), stream()));
  // [ranks, rows, stride] -> [rows, vocab]: rank r's first count_r columns of every row.
  const size_t e = kernels::dtype_size(d);
  const int64_t V = config_.vocab_size;
  for (int32_t r = 0; int64_t{r} * tp.vocab_stride < V; ++r) {
    const int64_t count = std::min<int64_t>(tp.vocab_stride, V - int64_t{r} * tp.vocab_stride);
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpy2DAsync(
        at(s.logits.data(), int64_t{r} * tp.vocab_stride, d), V * e,
        at(s.logits_all.data(), int64_t{r} * rows * tp.vocab_stride, d), tp.vocab_stride * e,
        count * e, rows, cudaMemcpyDeviceToDevice, stream()));
  }
  return Status();
}

Status GpuModel::enqueue_argmax(int64_t rows,
                                std::span<const int32_t> banned,
                                int32_t* out,
                                int64_t* advance) {
  Scratch& s = *scratch_;
  if (banned.size() > 64) {
    return errorf(StatusCode::kInvalidArgument, "GPU argmax: %zu banned ids, at most 64",
                  banned.size());
  }
  if (!banned.empty()) {
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(s.banned.data(), banned.data(),
                                             banned.size() * sizeof(int32_t),
                                             cudaMemcpyHostToDevice, stream()));
  }
  kernels::ArgmaxParams a;
  a.out = out;
  a.logits = s.logits.data();
  a.num_rows = rows;
  a.vocab = config_.vocab_size;
  a.row_stride = config_.vocab_size;
  a.dtype = dtype();
  a.banned = s.banned.data();
  a.num_banned = static_cast<int32_t>(banned.size());
  a.advance_positions = advance;
  return kernels::launch_argmax(a, stream());
}

Status GpuModel::argmax_rows(int64_t rows,
                             std::span<const int32_t> banned,
                             std::vector<int32_t>* out) {
  Scratch& s = *scratch_;
  HKV_RETURN_IF_ERROR(enqueue_argmax(rows, banned, s.next.data(), nullptr));
  out->resize(rows);
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(out->data(), s.next.data(), rows * sizeof(int32_t),
                                           cudaMemcpyDeviceToHost, stream()));
  int32_t flag = 0;
  HKV_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(&flag, s.error_flag.data(), 4, cudaMemcpyDeviceToHost, stream()));
  HKV_RETURN_IF_ERROR(stream_.synchronize());
  return decode_flag_status(flag);
}

Result<GpuDecodeSlot> GpuDecodeSlot::create(int64_t rows) {
  GpuDecodeSlot slot;
  HKV_ASSIGN_OR_RETURN(slot.host, kernels::PinnedBuffer<int32_t>::allocate(rows + 1));
  HKV_ASSIGN_OR_RETURN(slot.done, kernels::CudaEvent::create());
  slot.rows = rows;
  return slot;
}

Status GpuModel::start_decode(GpuBatch& batch,
                              std::span<const int32_t> tokens,
                              std::span<const int64_t> positions) {
  return prepare_decode(batch, tokens, positions);
}

Status GpuModel::enqueue_decode_step(GpuBatch& batch,
                                     std::span<const int32_t> banned,
                                     GpuDecodeSlot* slot) {
  Scratch& s = *scratch_;
  const int64_t B = batch.num_sequences();
  if (slot->rows != B || s.rows < B) {
    return errorf(StatusCode::kFailedPrecondition,
                  "GPU decode: a slot of %lld rows for a batch of %lld sequences, scratch for "
                  "%lld (expected start_decode with this batch, and a slot of its size)",
                  static_cast<long long>(slot->rows), static_cast<long long>(B),
                  static_cast<long long>(s.rows));
  }
  HKV_RETURN_IF_ERROR(run_decode_body(batch));
  HKV_RETURN_IF_ERROR(enqueue_argmax(B, banned, s.ids.data(), s.positions.data()));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(slot->host.data(), s.ids.data(), B * sizeof(int32_t),
                                           cudaMemcpyDeviceToHost, stream()));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(slot->host.data() + B, s.error_flag.data(),
                                           sizeof(int32_t), cudaMemcpyDeviceToHost, stream()));
  return slot->done.record(stream());
}

Status GpuModel::finish_decode_step(GpuDecodeSlot& slot, std::vector<int32_t>* next_tokens) {
  HKV_RETURN_IF_ERROR(slot.done.synchronize());
  next_tokens->assign(slot.host.data(), slot.host.data() + slot.rows);
  return decode_flag_status(slot.host[slot.rows]);
}

Status GpuModel::copy_logits(int64_t rows, std::vector<float>* out) {
  Scratch& s = *scratch_;
  const int64_t count = rows * config_.vocab_size;
  const float* src = static_cast<const float*>(static_cast<const void*>(s.logits.data()));
  if (dtype() != DType::kF32) {
    kernels::ConvertParams p;
    p.in = s.logits.data();
    p.out = s.logits_f32.data();
    p.num_elements = count;
    p.in_dtype = dtype();
    p.out_dtype = DType::kF32;
    HKV_RETURN_IF_ERROR(kernels::launch_convert(p, stream()));
    src = s.logits_f32.data();
  }
  out->resize(count);
  HKV_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(out->data(), src, count * sizeof(float), cudaMemcpyDeviceToHost, stream()));
  return stream_.synchronize();
}

}  // namespace hkv::model
