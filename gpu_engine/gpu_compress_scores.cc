// GpuCompressor::Impl's device work before the keep rule: f16 inputs, window scores once per
// score key and layer, their stable segmented sort, and Ada-SnapKV's counts.
#include <tuple>

#include "common/half.h"
#include "gpu_engine/gpu_compress_impl.h"
#include "kernels/ada_counts.h"
#include "kernels/convert.h"
#include "kernels/model_ops.h"
#include "kernels/topk_select.h"
#include "kernels/window_score.h"

namespace hkv::model {

using kernels::DeviceBuffer;
using kernels::DType;

Status GpuCompressor::Impl::convert_inputs(int32_t l, const LayerKvView& view) {
  if (dtype == DType::kF16 || converted_layer == l) {
    return Status();
  }
  const int64_t kv_elems = L * config.num_kv_heads * config.head_dim;
  const int64_t q_elems = int64_t{window_rows} * config.num_q_heads * config.head_dim;
  if (k16.size() == 0) {
    HKV_ASSIGN_OR_RETURN(k16, DeviceBuffer<uint16_t>::allocate_async(kv_elems, stream));
    HKV_ASSIGN_OR_RETURN(q16, DeviceBuffer<uint16_t>::allocate_async(q_elems, stream));
  }
  for (auto [in, out, count] :
       {std::tuple{view.k, static_cast<void*>(k16.data()), kv_elems},
        std::tuple{view.window_q, static_cast<void*>(q16.data()), q_elems}}) {
    kernels::ConvertParams p;
    p.in = in;
    p.out = out;
    p.num_elements = count;
    p.in_dtype = dtype;
    p.out_dtype = DType::kF16;
    HKV_RETURN_IF_ERROR(kernels::launch_convert(p, stream));
  }
  converted_layer = l;
  return Status();
}

Result<ScoreSlot*> GpuCompressor::Impl::scores_for(int32_t l,
                                                   const CompressionConfig& cc,
                                                   const LayerKvView& view) {
  ScoreSlot& slot = slots[key(cc)];
  if (slot.computed_layer == l) {
    return &slot;
  }
  HKV_RETURN_IF_ERROR(convert_inputs(l, view));
  const int32_t H = config.num_q_heads, KV = config.num_kv_heads, D = config.head_dim;
  const int64_t n = L - cc.window;
  const int32_t S = segments(cc);
  const void* q = dtype == DType::kF16 ? view.window_q : q16.data();
  const void* k = dtype == DType::kF16 ? view.k : k16.data();
  kernels::WindowScoreParams wp;
  wp.q = static_cast<const uint16_t*>(q) + int64_t{window_rows - cc.window} * H * D;
  wp.k = k;
  wp.num_q_heads = H;
  wp.num_kv_heads = KV;
  wp.window = cc.window;
  wp.head_dim = D;
  wp.num_tokens = L;
  wp.q_head_stride = D;
  wp.q_row_stride = int64_t{H} * D;
  wp.k_head_stride = D;
  wp.k_row_stride = int64_t{KV} * D;
  wp.kernel_size = cc.kernel;
  wp.reduce = std::get<0>(key(cc)) ? kernels::ScoreReduce::kSum : kernels::ScoreReduce::kMean;
  wp.pool = cc.pooling == Pooling::kMax ? kernels::ScorePool::kMax : kernels::ScorePool::kAvg;
  wp.dtype = DType::kF16;
  if (slot.n == 0) {  // first use: size the slot (identical for every layer)
    slot.n = n;
    slot.segments = S;
    HKV_ASSIGN_OR_RETURN(slot.q_scores, DeviceBuffer<uint16_t>::allocate_async(H * n, stream));
    if (is_gqa(cc)) {
      HKV_ASSIGN_OR_RETURN(slot.scores, DeviceBuffer<uint16_t>::allocate_async(S * n, stream));
    }
    HKV_ASSIGN_OR_RETURN(slot.sorted, DeviceBuffer<int32_t>::allocate_async(S * n, stream));
    std::vector<int32_t> cu(S + 1);
    for (int32_t s = 0; s <= S; ++s) {
      cu[s] = static_cast<int32_t>(s * n);
    }
    HKV_ASSIGN_OR_RETURN(slot.cu, DeviceBuffer<int32_t>::allocate_async(S + 1, stream));
    HKV_RETURN_IF_ERROR(slot.cu.copy_from_host(cu.data(), stream));  // staged: cu may go
    HKV_ASSIGN_OR_RETURN(slot.ws_score, DeviceBuffer<uint8_t>::allocate_async(
                                            kernels::window_score_workspace_bytes(wp), stream));
  }
  wp.scores = slot.q_scores.data();
  wp.workspace = slot.ws_score.data();
  wp.workspace_bytes = static_cast<int64_t>(slot.ws_score.bytes());
  HKV_RETURN_IF_ERROR(kernels::launch_window_score(wp, stream));
  const uint16_t* seg_scores = slot.q_scores.data();
  if (is_gqa(cc)) {
    kernels::ScorePoolParams pp;
    pp.out = slot.scores.data();
    pp.scores = slot.q_scores.data();
    pp.num_q_heads = H;
    pp.num_kv_heads = KV;
    pp.n = n;
    pp.dtype = DType::kF16;
    HKV_RETURN_IF_ERROR(kernels::launch_score_pool(pp, stream));
    seg_scores = slot.scores.data();
  }
  kernels::TopkSelectParams tp;
  tp.out = slot.sorted.data();
  tp.scores = seg_scores;
  tp.cu_lens = slot.cu.data();
  tp.cu_k = slot.cu.data();  // k = n: the whole stable order
  tp.num_segments = S;
  tp.total_len = S * n;
  tp.dtype = DType::kF16;
  if (slot.ws_topk.size() == 0) {
    HKV_ASSIGN_OR_RETURN(int64_t ws, kernels::topk_select_workspace_bytes(tp));
    HKV_ASSIGN_OR_RETURN(slot.ws_topk, DeviceBuffer<uint8_t>::allocate_async(ws, stream));
  }
  tp.workspace = slot.ws_topk.data();
  tp.workspace_bytes = static_cast<int64_t>(slot.ws_topk.bytes());
  HKV_RETURN_IF_ERROR(kernels::launch_topk_select(tp, stream));
  slot.computed_layer = l;
  return &slot;
}

Result<std::vector<int32_t>> GpuCompressor::Impl::ada_counts_on_host(ScoreSlot* slot,
                                                                     const CompressionConfig& cc) {
  const DeviceBuffer<uint16_t>& src = is_gqa(cc) ? slot->scores : slot->q_scores;
  std::vector<uint16_t> half(static_cast<size_t>(slot->segments) * slot->n);
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(half.data(), src.data(), half.size() * sizeof(uint16_t),
                                           cudaMemcpyDeviceToHost, stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  std::vector<float> scores(half.size());
  for (size_t i = 0; i < half.size(); ++i) {
    scores[i] = f16_to_float(half[i]);
  }
  return tp->ada_counts(slot->computed_layer, cc.storage_layout(), scores, slot->n, cc.budget,
                        cc.window, true);
}

Status GpuCompressor::Impl::enqueue_ada_counts(ScoreSlot* slot,
                                               const CompressionConfig& cc,
                                               int32_t* counts) {
  kernels::AdaCountsParams p;
  p.scores = is_gqa(cc) ? slot->scores.data() : slot->q_scores.data();
  p.sorted = slot->sorted.data();
  p.num_segments = slot->segments;
  p.n = slot->n;
  p.keep = cc.budget - cc.window;
  p.dtype = DType::kF16;
  if (slot->ws_ada.size() == 0) {
    HKV_ASSIGN_OR_RETURN(int64_t ws, kernels::ada_counts_workspace_bytes(p));
    HKV_ASSIGN_OR_RETURN(slot->ws_ada, DeviceBuffer<uint8_t>::allocate_async(ws, stream));
  }
  p.counts = counts;
  p.workspace = slot->ws_ada.data();
  p.workspace_bytes = static_cast<int64_t>(slot->ws_ada.bytes());
  return kernels::launch_ada_counts(p, stream);
}

}  // namespace hkv::model
