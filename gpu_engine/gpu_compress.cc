// Per-layer compression on the GPU. Score slots persist across layers (same sizes every layer);
// everything runs on the device, Ada-SnapKV's head allocation included (kernels/ada_counts.h),
// and no layer waits for it: a layer with Ada-SnapKV configs is allocated for an upper bound and
// its segments are sized on the device (kernels::launch_segment_capacity); the host reads the
// sizes back once per prefill (GpuBatch::sync_host_tables). The error flag is read once, by
// finish().
#include "gpu_engine/gpu_compress.h"

#include <algorithm>
#include <numeric>
#include <span>

#include "compression/keep_policy.h"
#include "gpu_engine/gpu_compress_impl.h"
#include "kernels/device_buffer.h"
#include "kernels/kv_cache_ops.h"

namespace hkv::model {

using kernels::DeviceBuffer;
using kernels::DType;

GpuCompressor::GpuCompressor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GpuCompressor::~GpuCompressor() = default;

Result<std::unique_ptr<GpuCompressor>> GpuCompressor::create(
    const LlamaConfig& config,
    DType dtype,
    const std::vector<CompressionConfig>& configs,
    const std::vector<std::vector<int32_t>>& head_caps,
    int64_t num_tokens,
    int32_t window_rows,
    int32_t reserve_rows,
    cudaStream_t stream,
    const TpShard* tp) {
  auto impl = std::make_unique<Impl>();
  impl->tp = tp;
  impl->config = config;
  impl->dtype = dtype;
  impl->configs = configs;
  impl->head_caps = head_caps;
  impl->L = num_tokens;
  impl->window_rows = window_rows;
  impl->reserve = reserve_rows;
  impl->stream = stream;
  if (num_tokens > 2147483647LL / std::max(config.num_q_heads, 1)) {
    return errorf(StatusCode::kInvalidArgument,
                  "GPU compression: %lld tokens x %d heads exceed "
                  "the int32 position index",
                  static_cast<long long>(num_tokens), config.num_q_heads);
  }
  for (size_t i = 0; i < configs.size(); ++i) {
    const CompressionConfig& cc = configs[i];
    HKV_RETURN_IF_ERROR(cc.validate());
    const size_t want = static_cast<size_t>(config.num_layers) * impl->segments(cc);
    if (uses_head_scores(cc.method) && head_caps[i].size() != want) {
      return errorf(StatusCode::kInvalidArgument,
                    "config '%s': %zu head capacities, expected %zu (layers x segments)",
                    cc.label().c_str(), head_caps[i].size(), want);
    }
    if (cc.method != Method::kFullKv && cc.window > window_rows && num_tokens > cc.window) {
      return errorf(StatusCode::kInvalidArgument,
                    "config '%s': window %d exceeds the %d query rows kept by prefill",
                    cc.label().c_str(), cc.window, window_rows);
    }
  }
  const int32_t max_seg = config.num_q_heads;
  HKV_ASSIGN_OR_RETURN(impl->zeros, DeviceBuffer<int32_t>::allocate_async(max_seg + 1, stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(impl->zeros.data(), 0, impl->zeros.bytes(), stream));
  for (const CompressionConfig& cc : configs) {
    impl->total_segments += impl->segments(cc);
  }
  HKV_ASSIGN_OR_RETURN(
      impl->kept_lens,
      DeviceBuffer<int32_t>::allocate_async(
          configs.size() * max_seg + 3 * static_cast<size_t>(impl->total_segments), stream));
  bool any_ada = false;
  for (const CompressionConfig& cc : configs) {
    any_ada = any_ada || cc.method == Method::kAdaSnapKv;
  }
  if (any_ada) {
    HKV_ASSIGN_OR_RETURN(impl->ada,
                         DeviceBuffer<int32_t>::allocate_async(configs.size() * max_seg, stream));
  }
  HKV_ASSIGN_OR_RETURN(impl->error_flag, DeviceBuffer<int32_t>::allocate_async(1, stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(impl->error_flag.data(), 0, 4, stream));
  return std::unique_ptr<GpuCompressor>(new GpuCompressor(std::move(impl)));
}

int64_t GpuCompressor::scratch_bytes() const {
  int64_t total = static_cast<int64_t>(impl_->k16.bytes() + impl_->q16.bytes());
  for (const auto& [key, s] : impl_->slots) {
    total += static_cast<int64_t>(s.q_scores.bytes() + s.scores.bytes() + s.sorted.bytes() +
                                  s.ws_score.bytes() + s.ws_topk.bytes());
  }
  return total;
}

Status GpuCompressor::compress_layer(
    int32_t l,
    const LayerKvView& view,
    GpuBatch* batch,
    std::vector<std::vector<std::vector<std::vector<int32_t>>>>* kept) {
  Impl& m = *impl_;
  const int64_t L = m.L;
  const size_t C = m.configs.size();
  const int32_t max_seg = m.config.num_q_heads;
  std::vector<ScoreSlot*> slot(C, nullptr);
  // Scores once per key, then every Ada-SnapKV config's counts, all enqueued. Those counts stay on
  // the device: its segments are sized there (launch_segment_capacity) within an upper bound, so
  // the layer never waits (except under tensor parallelism, whose allocation runs on the host).
  std::vector<bool> on_device(C, false);
  bool any_on_device = false;
  for (size_t i = 0; i < C; ++i) {
    const CompressionConfig& cc = m.configs[i];
    if (!m.compresses(cc, l)) {
      continue;
    }
    HKV_ASSIGN_OR_RETURN(slot[i], m.scores_for(l, cc, view));
    if (cc.method == Method::kAdaSnapKv && !m.ada_on_host()) {
      HKV_RETURN_IF_ERROR(m.enqueue_ada_counts(slot[i], cc, m.ada.data() + i * max_seg));
      on_device[i] = any_on_device = true;
    }
  }
  // Host tables, uploaded at once: keep counts [C * max_seg], then per segment of the layer the
  // rows besides device counts, the index of its device count (or -1) and the count's bound.
  const int32_t T = m.total_segments;
  std::vector<int32_t> tables(static_cast<size_t>(C) * max_seg + 3 * static_cast<size_t>(T), 0);
  int32_t* base_rows = tables.data() + C * max_seg;
  int32_t* count_index = base_rows + T;
  int32_t* count_max = count_index + T;
  std::vector<std::vector<int32_t>> keep(C);  // per config, per segment: prefix count (host)
  std::vector<int32_t> lens;  // rows filled by compression; used when no count is on the device
  int64_t max_rows = 0;       // the layer's rows, or their upper bound with device counts
  int32_t t = 0;
  for (size_t i = 0; i < C; ++i) {
    const CompressionConfig& cc = m.configs[i];
    const int32_t S = m.segments(cc);
    const int64_t n = L - cc.window;
    if (on_device[i]) {
      // Ada-SnapKV keeps at most S x (C + 1) of the layer's positions (kernels/ada_counts.h).
      const int64_t c_keep = std::max(cc.budget - cc.window, 0);
      max_rows += std::min(S * n, S * (c_keep + 1)) + int64_t{S} * (cc.window + m.reserve);
      for (int32_t s = 0; s < S; ++s, ++t) {
        base_rows[t] = cc.window + m.reserve;
        count_index[t] = static_cast<int32_t>(i) * max_seg + s;
        count_max[t] = static_cast<int32_t>(n);
      }
      continue;
    }
    if (slot[i] != nullptr) {
      std::span<const int32_t> caps;
      if (uses_head_scores(cc.method)) {
        caps = std::span<const int32_t>(m.head_caps[i]).subspan(int64_t{l} * S, S);
      }
      Status ada_status;
      keep[i] = compression::keep_counts(cc, m.threshold(cc, l), S, L, caps, [&] {
        Result<std::vector<int32_t>> counts = m.ada_counts_on_host(slot[i], cc);
        if (!counts.ok()) {
          ada_status = counts.status();
          return std::vector<int32_t>(S, 0);
        }
        return *std::move(counts);
      });
      HKV_RETURN_IF_ERROR(ada_status);
      std::copy(keep[i].begin(), keep[i].end(), tables.begin() + i * max_seg);
    }
    for (int32_t s = 0; s < S; ++s, ++t) {
      lens.push_back(slot[i] != nullptr ? keep[i][s] + cc.window : static_cast<int32_t>(L));
      base_rows[t] = lens.back() + m.reserve;
      count_index[t] = -1;
      max_rows += base_rows[t];
    }
  }
  // Pageable host -> device: staged before the call returns, so `tables` may go right after.
  const size_t upload = any_on_device ? tables.size() : static_cast<size_t>(C) * max_seg;
  HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(m.kept_lens.data(), tables.data(),
                                           upload * sizeof(int32_t), cudaMemcpyHostToDevice,
                                           m.stream));
  if (any_on_device) {
    HKV_RETURN_IF_ERROR(batch->allocate_layer_on_device(l, max_rows, m.reserve));
    kernels::SegmentCapacityParams sp;
    sp.cu_capacity = batch->layer(l).cu_capacity.data();
    sp.cu_capacity_copy = batch->capacity_copy(l);
    sp.kept_lens = m.kept_lens.data();
    sp.counts = m.ada.data();
    sp.base_rows = m.kept_lens.data() + C * max_seg;
    sp.count_index = sp.base_rows + T;
    sp.count_max = sp.count_index + T;
    sp.error_flag = m.error_flag.data();
    sp.num_segments = T;
    sp.max_rows = max_rows;
    HKV_RETURN_IF_ERROR(kernels::launch_segment_capacity(sp, m.stream));
  } else {
    std::vector<int32_t> rows(lens.size());
    std::transform(lens.begin(), lens.end(), rows.begin(),
                   [&](int32_t len) { return len + m.reserve; });
    HKV_RETURN_IF_ERROR(batch->allocate_layer(l, rows, lens));
  }
  if (kept != nullptr && any_on_device) {  // traces only: the device counts come back
    std::vector<int32_t> counts(static_cast<size_t>(C) * max_seg);
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(counts.data(), m.kept_lens.data(),
                                             counts.size() * sizeof(int32_t),
                                             cudaMemcpyDeviceToHost, m.stream));
    HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(m.stream));
    for (size_t i = 0; i < C; ++i) {
      if (on_device[i]) {
        keep[i].assign(counts.begin() + i * max_seg,
                       counts.begin() + i * max_seg + m.segments(m.configs[i]));
      }
    }
  }
  GpuCacheLayer& layer = batch->layer(l);
  const int32_t KV = m.config.num_kv_heads, D = m.config.head_dim;
  const int32_t group = m.config.num_q_heads / KV;
  std::vector<kernels::KvGatherParams> gathers(C);  // one launch for every config
  for (size_t i = 0; i < C; ++i) {
    const CompressionConfig& cc = m.configs[i];
    const int32_t S = m.segments(cc);
    const int32_t off = batch->segment_offset(static_cast<int32_t>(i));
    kernels::KvGatherParams& g = gathers[i];
    g.k_out = layer.k.data();
    g.v_out = layer.v.data();
    g.k_src = view.k;
    g.v_src = view.v;
    g.cu_capacity = layer.cu_capacity.data() + off;
    g.kv_lens = layer.kv_lens.data() + off;
    g.error_flag = m.error_flag.data();
    g.num_segments = S;
    g.segments_per_kv_head = is_gqa(cc) ? 1 : group;
    g.head_dim = D;
    g.num_tokens = L;
    g.src_head_stride = D;
    g.src_row_stride = int64_t{KV} * D;
    g.dtype = batch->dtype();
    if (slot[i] == nullptr) {
      g.kept = m.zeros.data();
      g.cu_kept = m.zeros.data();
      g.tail_start = 0;
      g.num_tail_rows = static_cast<int32_t>(L);
      g.max_rows_per_segment = L;
    } else {
      g.kept = slot[i]->sorted.data();
      g.cu_kept = slot[i]->cu.data();
      g.kept_lens = m.kept_lens.data() + i * max_seg;
      g.tail_start = L - cc.window;
      g.num_tail_rows = cc.window;
      // Sizes the grid only: device counts are unknown here, their mean is budget - window.
      g.max_rows_per_segment =
          on_device[i]
              ? std::min<int64_t>(L - cc.window, std::max(cc.budget - cc.window, 1)) + cc.window
              : *std::max_element(keep[i].begin(), keep[i].end()) + cc.window;
    }
  }
  HKV_RETURN_IF_ERROR(kernels::launch_kv_gather_parts(gathers, m.stream));
  if (kept != nullptr) {
    kept->resize(C);
    for (size_t i = 0; i < C; ++i) {
      const CompressionConfig& cc = m.configs[i];
      const int32_t S = m.segments(cc);
      std::vector<std::vector<int32_t>> per_seg(S);
      std::vector<int32_t> sorted;
      if (slot[i] != nullptr) {
        sorted.resize(slot[i]->sorted.size());
        HKV_RETURN_IF_ERROR(slot[i]->sorted.copy_to_host(sorted.data(), m.stream));
        HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(m.stream));
      }
      for (int32_t s = 0; s < S; ++s) {
        if (slot[i] != nullptr) {
          const int64_t n = slot[i]->n;
          per_seg[s].assign(sorted.begin() + s * n, sorted.begin() + s * n + keep[i][s]);
          for (int64_t j = n; j < L; ++j) {
            per_seg[s].push_back(static_cast<int32_t>(j));
          }
        } else {
          per_seg[s].resize(L);
          std::iota(per_seg[s].begin(), per_seg[s].end(), 0);
        }
      }
      (*kept)[i].push_back(std::move(per_seg));
    }
  }
  return Status();
}

Status GpuCompressor::finish() {
  Impl& m = *impl_;
  int32_t flag = 0;
  HKV_CUDA_RETURN_IF_ERROR(
      cudaMemcpyAsync(&flag, m.error_flag.data(), 4, cudaMemcpyDeviceToHost, m.stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(m.stream));
  if (flag != 0) {
    return errorf(StatusCode::kInternal,
                  "GPU compression: a kept position fell outside the prompt or a segment "
                  "overflowed its capacity (%d layers, %zu configs)",
                  m.config.num_layers, m.configs.size());
  }
  return Status();
}

}  // namespace hkv::model
