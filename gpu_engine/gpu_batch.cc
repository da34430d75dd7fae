// Batch maps and per-layer buffers. Segment order: sequence-major, then segment index.
#include "gpu_engine/gpu_batch.h"

#include <algorithm>

namespace hkv::model {

Result<GpuBatch> GpuBatch::create(const LlamaConfig& config,
                                  const std::vector<CacheLayout>& layouts,
                                  kernels::DType dtype,
                                  cudaStream_t stream) {
  if (layouts.empty()) {
    return errorf(StatusCode::kInvalidArgument, "GpuBatch: no sequences");
  }
  GpuBatch b;
  b.num_q_heads_ = config.num_q_heads;
  b.num_kv_heads_ = config.num_kv_heads;
  b.head_dim_ = config.head_dim;
  b.dtype_ = dtype;
  b.stream_ = stream;
  b.layouts_ = layouts;
  b.config_layers_ = config.num_layers;
  const int32_t group = config.num_q_heads / config.num_kv_heads;
  std::vector<int32_t> query_segment, src_row;
  b.seg_offset_.push_back(0);
  for (size_t seq = 0; seq < layouts.size(); ++seq) {
    const bool gqa = layouts[seq] == CacheLayout::kGqa;
    const int32_t segs = gqa ? config.num_kv_heads : config.num_q_heads;
    const int32_t base = b.seg_offset_.back();
    for (int32_t h = 0; h < config.num_q_heads; ++h) {
      query_segment.push_back(base + (gqa ? h / group : h));
    }
    for (int32_t s = 0; s < segs; ++s) {
      src_row.push_back(static_cast<int32_t>(seq) * config.num_kv_heads + (gqa ? s : s / group));
    }
    b.seg_offset_.push_back(base + segs);
  }
  std::vector<int32_t> group_start = {0};
  int32_t min_group = kernels::kAttentionDecodeMaxGroup;
  for (size_t qi = 1; qi <= query_segment.size(); ++qi) {
    const int32_t size = static_cast<int32_t>(qi) - group_start.back();
    if (qi == query_segment.size() || query_segment[qi] != query_segment[qi - 1] ||
        size == kernels::kAttentionDecodeMaxGroup) {
      group_start.push_back(static_cast<int32_t>(qi));
      b.max_group_ = std::max(b.max_group_, size);
      min_group = std::min(min_group, size);
    }
  }
  b.min_group_ = min_group;
  b.num_groups_ = static_cast<int32_t>(group_start.size()) - 1;
  HKV_ASSIGN_OR_RETURN(b.group_start_,
                       kernels::DeviceBuffer<int32_t>::allocate_async(group_start.size(), stream));
  HKV_RETURN_IF_ERROR(b.group_start_.copy_from_host(group_start.data(), stream));
  HKV_ASSIGN_OR_RETURN(b.query_segment_, kernels::DeviceBuffer<int32_t>::allocate_async(
                                             query_segment.size(), stream));
  HKV_ASSIGN_OR_RETURN(b.segment_src_row_,
                       kernels::DeviceBuffer<int32_t>::allocate_async(src_row.size(), stream));
  HKV_RETURN_IF_ERROR(b.query_segment_.copy_from_host(query_segment.data(), stream));
  HKV_RETURN_IF_ERROR(b.segment_src_row_.copy_from_host(src_row.data(), stream));
  // Pageable host -> device copies are staged before they return: the vectors may go now.
  return b;
}

Result<GpuBatch> GpuBatch::merge(const LlamaConfig& config, std::vector<GpuBatch> parts) {
  if (parts.empty()) {
    return errorf(StatusCode::kInvalidArgument, "GpuBatch::merge: no batches");
  }
  if (parts.size() == 1) {
    return std::move(parts[0]);
  }
  std::vector<CacheLayout> layouts;
  for (const GpuBatch& p : parts) {
    if (p.dtype_ != parts[0].dtype_ || p.num_layers() != parts[0].num_layers()) {
      return errorf(StatusCode::kInvalidArgument,
                    "GpuBatch::merge: batches of dtype %s / %d layers and %s / %d layers",
                    kernels::dtype_name(parts[0].dtype_), parts[0].num_layers(),
                    kernels::dtype_name(p.dtype_), p.num_layers());
    }
    if (std::any_of(p.layers_.begin(), p.layers_.end(),
                    [](const GpuCacheLayer& L) { return L.host_pending; })) {
      return errorf(StatusCode::kInternal,
                    "GpuBatch::merge: a layer sized on the device has no host tables yet "
                    "(sync_host_tables first)");
    }
    layouts.insert(layouts.end(), p.layouts_.begin(), p.layouts_.end());
  }
  cudaStream_t stream = parts[0].stream_;
  HKV_ASSIGN_OR_RETURN(GpuBatch out, create(config, layouts, parts[0].dtype_, stream));
  const size_t row_bytes = static_cast<size_t>(out.head_dim_) * kernels::dtype_size(out.dtype_);
  for (int32_t l = 0; l < parts[0].num_layers(); ++l) {
    std::vector<int32_t> rows, lens;
    for (const GpuBatch& p : parts) {
      const GpuCacheLayer& L = p.layers_[l];
      for (size_t s = 0; s + 1 < L.host_cu_capacity.size(); ++s) {
        rows.push_back(L.host_cu_capacity[s + 1] - L.host_cu_capacity[s]);
      }
      lens.insert(lens.end(), L.compressed_lens.begin(), L.compressed_lens.end());
    }
    HKV_RETURN_IF_ERROR(out.allocate_layer(l, rows, std::move(lens)));
    GpuCacheLayer& dst = out.layers_[l];
    size_t row_off = 0, seg_off = 0;
    for (GpuBatch& p : parts) {
      GpuCacheLayer& src = p.layers_[l];
      const size_t bytes = static_cast<size_t>(src.host_cu_capacity.back()) * row_bytes;
      HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst.k.data() + row_off, src.k.data(), bytes,
                                               cudaMemcpyDeviceToDevice, stream));
      HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst.v.data() + row_off, src.v.data(), bytes,
                                               cudaMemcpyDeviceToDevice, stream));
      HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst.kv_lens.data() + seg_off, src.kv_lens.data(),
                                               src.kv_lens.bytes(), cudaMemcpyDeviceToDevice,
                                               stream));
      row_off += bytes;
      seg_off += src.kv_lens.size();
    }
    // The sources die with `parts` layer by layer, bounding peak memory to one extra layer. Their
    // stream-ordered frees follow these copies on the same stream; a part on another stream
    // waits for the copies first.
    if (std::any_of(parts.begin(), parts.end(),
                    [&](const GpuBatch& p) { return p.stream_ != stream; })) {
      HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
    }
    for (GpuBatch& p : parts) {
      p.layers_[l] = GpuCacheLayer();
    }
  }
  return out;
}

Status GpuBatch::allocate_layer(int32_t l,
                                const std::vector<int32_t>& rows,
                                std::vector<int32_t> lens) {
  if (l != num_layers() || rows.size() != static_cast<size_t>(total_segments()) ||
      lens.size() != rows.size()) {
    return errorf(StatusCode::kInternal,
                  "GpuBatch::allocate_layer(%d): %zu rows / %zu lens for %d segments, %d layers "
                  "allocated",
                  l, rows.size(), lens.size(), total_segments(), num_layers());
  }
  GpuCacheLayer L;
  L.host_cu_capacity.assign(1, 0);
  for (size_t s = 0; s < rows.size(); ++s) {
    const int64_t next = int64_t{L.host_cu_capacity.back()} + rows[s];
    if (next > 2147483647LL || lens[s] > rows[s]) {
      return errorf(StatusCode::kResourceExhausted,
                    "GpuBatch layer %d: %lld cache rows exceed the int32 row index", l,
                    static_cast<long long>(next));
    }
    L.host_cu_capacity.push_back(static_cast<int32_t>(next));
    L.max_capacity = std::max<int64_t>(L.max_capacity, rows[s]);
  }
  const size_t row_bytes = static_cast<size_t>(head_dim_) * kernels::dtype_size(dtype_);
  const size_t total_rows = static_cast<size_t>(L.host_cu_capacity.back());
  using Rows = kernels::DeviceBuffer<uint8_t>;
  using Ints = kernels::DeviceBuffer<int32_t>;
  HKV_ASSIGN_OR_RETURN(L.k, Rows::allocate_async(total_rows * row_bytes, stream_));
  HKV_ASSIGN_OR_RETURN(L.v, Rows::allocate_async(total_rows * row_bytes, stream_));
  HKV_ASSIGN_OR_RETURN(L.cu_capacity, Ints::allocate_async(L.host_cu_capacity.size(), stream_));
  HKV_ASSIGN_OR_RETURN(L.kv_lens, Ints::allocate_async(rows.size(), stream_));
  HKV_RETURN_IF_ERROR(L.cu_capacity.copy_from_host(L.host_cu_capacity.data(), stream_));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(L.kv_lens.data(), 0, L.kv_lens.bytes(), stream_));
  L.compressed_lens = std::move(lens);
  L.rows = static_cast<int64_t>(total_rows);
  // host_cu_capacity lives in the layer, so the async copy may still be in flight on return.
  layers_.push_back(std::move(L));
  return Status();
}

Status GpuBatch::allocate_layer_on_device(int32_t l, int64_t max_rows, int32_t reserve_rows) {
  const int32_t T = total_segments();
  if (l != num_layers() || l >= config_layers_ || max_rows < 0 || max_rows > 2147483647LL ||
      reserve_rows < 0) {
    return errorf(StatusCode::kInternal,
                  "GpuBatch::allocate_layer_on_device(%d): %lld rows, reserve %d, %d of %d layers "
                  "allocated (expected the next layer, rows < 2^31)",
                  l, static_cast<long long>(max_rows), reserve_rows, num_layers(), config_layers_);
  }
  if (capacity_copies_.size() == 0) {
    HKV_ASSIGN_OR_RETURN(capacity_copies_, kernels::DeviceBuffer<int32_t>::allocate_async(
                                               int64_t{config_layers_} * (T + 1), stream_));
  }
  GpuCacheLayer L;
  L.host_pending = true;
  L.reserve_rows = reserve_rows;
  L.rows = max_rows;
  const size_t row_bytes = static_cast<size_t>(head_dim_) * kernels::dtype_size(dtype_);
  using Rows = kernels::DeviceBuffer<uint8_t>;
  using Ints = kernels::DeviceBuffer<int32_t>;
  HKV_ASSIGN_OR_RETURN(L.k,
                       Rows::allocate_async(static_cast<size_t>(max_rows) * row_bytes, stream_));
  HKV_ASSIGN_OR_RETURN(L.v,
                       Rows::allocate_async(static_cast<size_t>(max_rows) * row_bytes, stream_));
  HKV_ASSIGN_OR_RETURN(L.cu_capacity, Ints::allocate_async(T + 1, stream_));
  HKV_ASSIGN_OR_RETURN(L.kv_lens, Ints::allocate_async(T, stream_));
  HKV_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(L.kv_lens.data(), 0, L.kv_lens.bytes(), stream_));
  layers_.push_back(std::move(L));
  return Status();
}

int32_t* GpuBatch::capacity_copy(int32_t l) {
  return capacity_copies_.data() + int64_t{l} * (total_segments() + 1);
}

Status GpuBatch::sync_host_tables() {
  if (std::none_of(layers_.begin(), layers_.end(),
                   [](const GpuCacheLayer& L) { return L.host_pending; })) {
    return Status();
  }
  const int32_t T = total_segments();
  std::vector<int32_t> all(capacity_copies_.size());
  HKV_RETURN_IF_ERROR(capacity_copies_.copy_to_host(all.data(), stream_));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  for (int32_t l = 0; l < num_layers(); ++l) {
    GpuCacheLayer& L = layers_[l];
    if (!L.host_pending) {
      continue;
    }
    L.host_cu_capacity.assign(all.begin() + int64_t{l} * (T + 1),
                              all.begin() + int64_t{l + 1} * (T + 1));
    L.compressed_lens.resize(T);
    L.max_capacity = 0;
    for (int32_t t = 0; t < T; ++t) {
      const int32_t cap = L.host_cu_capacity[t + 1] - L.host_cu_capacity[t];
      L.compressed_lens[t] = std::max(cap - L.reserve_rows, 0);
      L.max_capacity = std::max<int64_t>(L.max_capacity, cap);
    }
    if (L.host_cu_capacity.back() > L.rows || L.host_cu_capacity[0] != 0) {
      return errorf(StatusCode::kInternal,
                    "GpuBatch layer %d: the device sized %d rows, %lld allocated", l,
                    L.host_cu_capacity.back(), static_cast<long long>(L.rows));
    }
    L.host_pending = false;
  }
  return Status();
}

int64_t GpuBatch::compressed_entries(int32_t seq) const {
  int64_t total = 0;
  for (int32_t l = 0; l < num_layers(); ++l) {
    int64_t e = 0;
    int32_t lo = 0, hi = 0;
    layer_stats(seq, l, &e, &lo, &hi);
    total += e;
  }
  return total;
}

void GpuBatch::layer_stats(
    int32_t seq, int32_t l, int64_t* entries, int32_t* min_len, int32_t* max_len) const {
  const std::vector<int32_t>& lens = layers_[l].compressed_lens;
  auto first = lens.begin() + seg_offset_[seq];
  auto last = lens.begin() + seg_offset_[seq + 1];
  *entries = 0;
  for (auto it = first; it != last; ++it) {
    *entries += *it;
  }
  auto [lo, hi] = std::minmax_element(first, last);
  *min_len = *lo;
  *max_len = *hi;
}

int64_t GpuBatch::cache_bytes() const {
  int64_t total = 0;
  for (const GpuCacheLayer& L : layers_) {
    total += static_cast<int64_t>(L.k.bytes() + L.v.bytes());
  }
  return total;
}

}  // namespace hkv::model
