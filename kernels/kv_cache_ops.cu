// Row copies for the per-head caches, one warp per row. Rows are moved as raw bytes (the dtype
// only sets the row size), in 16-, 8-, 4- or 2-byte words as the row size and strides allow.
#include <algorithm>

#include "kernels/common.cuh"
#include "kernels/kv_cache_ops.h"

namespace hkv::kernels {
namespace {

constexpr int kWarpsPerBlock = 8;

template <typename W>
__device__ __forceinline__ void copy_row(W* __restrict__ dst, const W* __restrict__ src, int n) {
  for (int i = threadIdx.x & 31; i < n; i += 32) {
    dst[i] = src[i];
  }
}

// One part of a gather launch: the segment tables of one sequence (KvGatherParams), its blocks
// [first_block, first_block + num_segments * blocks_x) of the launch's 1-D grid.
struct GatherPart {
  const int32_t* kept;         // [cu_kept[S]]
  const int32_t* cu_kept;      // [S + 1]
  const int32_t* kept_lens;    // [S] or null
  const int32_t* cu_capacity;  // [S + 1], rows of the shared destination
  int32_t* kv_lens;            // [S] or null
  int64_t tail_start;
  int32_t num_tail_rows;
  int32_t segments_per_kv_head;
  int32_t blocks_x;  // blocks per segment
  int32_t first_block;
};

constexpr int kMaxGatherParts = 16;  // parts per launch (kernel parameters: ~1 KB)

struct GatherParts {
  GatherPart part[kMaxGatherParts];
  int32_t num_parts;
};

// One word type per launch: W is the widest that divides the row size and every offset. Each
// block finds its part, segment and slice of rows; every part writes the shared destination.
template <typename W>
__global__ void kv_gather_kernel(W* __restrict__ k_out,             // [rows, row_words]
                                 W* __restrict__ v_out,             // [rows, row_words]
                                 const W* __restrict__ k_src,       // [kv_heads, tokens, ...]
                                 const W* __restrict__ v_src,       // [kv_heads, tokens, ...]
                                 int32_t* __restrict__ error_flag,  // [1] or null
                                 const __grid_constant__ GatherParts parts,
                                 int32_t row_words,
                                 int64_t num_tokens,
                                 int64_t head_stride_words,
                                 int64_t row_stride_words) {
  int p = 0;
  while (p + 1 < parts.num_parts && static_cast<int>(blockIdx.x) >= parts.part[p + 1].first_block) {
    ++p;
  }
  const GatherPart& g = parts.part[p];
  const int local = static_cast<int>(blockIdx.x) - g.first_block;
  const int s = local / g.blocks_x, bx = local % g.blocks_x;
  const int32_t num_kept =
      g.kept_lens != nullptr ? g.kept_lens[s] : g.cu_kept[s + 1] - g.cu_kept[s];
  const int32_t rows = num_kept + g.num_tail_rows;
  const int32_t capacity = g.cu_capacity[s + 1] - g.cu_capacity[s];
  if (bx == 0 && threadIdx.x == 0) {
    if (g.kv_lens != nullptr) {
      g.kv_lens[s] = min(rows, capacity);
    }
    if (rows > capacity && error_flag != nullptr) {
      *error_flag = 1;
    }
  }
  const int64_t src_head = static_cast<int64_t>(s / g.segments_per_kv_head) * head_stride_words;
  const int warp = threadIdx.x >> 5;
  for (int32_t r = bx * kWarpsPerBlock + warp; r < min(rows, capacity);
       r += g.blocks_x * kWarpsPerBlock) {
    const int64_t pos = r < num_kept ? g.kept[g.cu_kept[s] + r] : g.tail_start + (r - num_kept);
    if (pos < 0 || pos >= num_tokens) {
      if ((threadIdx.x & 31) == 0 && error_flag != nullptr) {
        *error_flag = 1;
      }
      continue;
    }
    const int64_t src = src_head + pos * row_stride_words;
    const int64_t dst = (static_cast<int64_t>(g.cu_capacity[s]) + r) * row_words;
    copy_row(k_out + dst, k_src + src, row_words);
    copy_row(v_out + dst, v_src + src, row_words);
  }
}

template <typename W>
__global__ void kv_append_kernel(W* __restrict__ k_cache,                      // [rows, row_words]
                                 W* __restrict__ v_cache,                      // [rows, row_words]
                                 const W* __restrict__ k_new,                  // [kv_heads, ...]
                                 const W* __restrict__ v_new,                  // [kv_heads, ...]
                                 const int32_t* __restrict__ cu_capacity,      // [S + 1]
                                 int32_t* __restrict__ kv_lens,                // [S], in/out
                                 int32_t* __restrict__ error_flag,             // [1] or null
                                 const int32_t* __restrict__ segment_src_row,  // [S] or null
                                 int32_t segments_per_kv_head,
                                 int32_t row_words,
                                 int64_t new_row_stride_words) {
  const int s = blockIdx.x;
  const int32_t len = kv_lens[s];
  const int32_t capacity = cu_capacity[s + 1] - cu_capacity[s];
  __syncthreads();  // every thread has read len before thread 0 bumps it
  if (len < 0 || len >= capacity) {
    if (threadIdx.x == 0 && error_flag != nullptr) {
      *error_flag = 1;
    }
    return;
  }
  const int64_t dst = (static_cast<int64_t>(cu_capacity[s]) + len) * row_words;
  const int64_t src_row =
      segment_src_row != nullptr ? segment_src_row[s] : s / segments_per_kv_head;
  const int64_t src = src_row * new_row_stride_words;
  for (int i = threadIdx.x; i < row_words; i += blockDim.x) {
    k_cache[dst + i] = k_new[src + i];
    v_cache[dst + i] = v_new[src + i];
  }
  if (threadIdx.x == 0) {
    kv_lens[s] = len + 1;
  }
}

constexpr int kCapacityThreads = 256;
constexpr int kCapacityChunk = 2048;  // segments per step: rows in shared memory, then a serial sum

// One block: each step computes a chunk's rows in parallel, then thread 0 adds them up in order.
__global__ void segment_capacity_kernel(int32_t* __restrict__ cu_capacity,       // [S + 1]
                                        int32_t* __restrict__ cu_capacity_copy,  // [S + 1] or null
                                        int32_t* __restrict__ kept_lens,
                                        const int32_t* __restrict__ counts,
                                        const int32_t* __restrict__ base_rows,    // [S]
                                        const int32_t* __restrict__ count_index,  // [S]
                                        const int32_t* __restrict__ count_max,    // [S]
                                        int32_t* __restrict__ error_flag,
                                        int32_t num_segments,
                                        int64_t max_rows) {
  __shared__ int32_t rows[kCapacityChunk];
  __shared__ int64_t total;
  if (threadIdx.x == 0) {
    total = 0;
    cu_capacity[0] = 0;
    if (cu_capacity_copy != nullptr) {
      cu_capacity_copy[0] = 0;
    }
  }
  for (int32_t c0 = 0; c0 < num_segments; c0 += kCapacityChunk) {
    const int32_t len = min(kCapacityChunk, num_segments - c0);
    for (int32_t i = threadIdx.x; i < len; i += blockDim.x) {
      const int32_t t = c0 + i;
      int32_t r = base_rows[t];
      if (count_index[t] >= 0) {
        const int32_t k = min(max(counts[count_index[t]], 0), count_max[t]);
        kept_lens[count_index[t]] = k;
        r += k;
      }
      rows[i] = r;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      int64_t sum = total;
      for (int32_t i = 0; i < len; ++i) {
        int64_t next = sum + rows[i];
        if (next > max_rows) {
          next = max_rows;
          if (error_flag != nullptr) {
            *error_flag = 1;
          }
        }
        sum = next;
        cu_capacity[c0 + i + 1] = static_cast<int32_t>(sum);
        if (cu_capacity_copy != nullptr) {
          cu_capacity_copy[c0 + i + 1] = static_cast<int32_t>(sum);
        }
      }
      total = sum;
    }
    __syncthreads();
  }
}

bool float_dtype(DType d) {
  return d == DType::kF32 || d == DType::kF16 || d == DType::kBf16;
}

// The widest word (bytes) dividing every byte quantity and pointer.
int word_bytes(std::initializer_list<int64_t> quantities, std::initializer_list<const void*> ptrs) {
  for (int w : {16, 8, 4, 2}) {
    bool ok = true;
    for (int64_t q : quantities) {
      ok = ok && q % w == 0;
    }
    for (const void* p : ptrs) {
      ok = ok && is_aligned(p, w);
    }
    if (ok) {
      return w;
    }
  }
  return 1;
}

template <typename F>
Status dispatch_word(int bytes, F&& f) {
  switch (bytes) {
    case 16:
      return f(uint4{});
    case 8:
      return f(uint2{});
    case 4:
      return f(uint32_t{});
    case 2:
      return f(uint16_t{});
    default:
      return f(uint8_t{});
  }
}

}  // namespace

Status KvGatherParams::validate() const {
  if (!float_dtype(dtype)) {
    return errorf(StatusCode::kUnimplemented, "kv_gather: dtype %s not supported (f32, f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_segments <= 0 || num_segments > 65535 || segments_per_kv_head <= 0 || head_dim <= 0 ||
      num_tokens < 0 || num_tail_rows < 0 || max_rows_per_segment < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_gather: num_segments=%d segments_per_kv_head=%d head_dim=%d num_tokens=%lld "
                  "num_tail_rows=%d max_rows_per_segment=%lld, expected positive counts",
                  num_segments, segments_per_kv_head, head_dim, static_cast<long long>(num_tokens),
                  num_tail_rows, static_cast<long long>(max_rows_per_segment));
  }
  if (src_row_stride < head_dim || src_head_stride < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_gather: src_row_stride=%lld src_head_stride=%lld, expected row stride >= "
                  "head_dim=%d",
                  static_cast<long long>(src_row_stride), static_cast<long long>(src_head_stride),
                  head_dim);
  }
  if (num_tail_rows > 0 && (tail_start < 0 || tail_start + num_tail_rows > num_tokens)) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_gather: tail rows [%lld, %lld) outside the %lld source rows",
                  static_cast<long long>(tail_start),
                  static_cast<long long>(tail_start + num_tail_rows),
                  static_cast<long long>(num_tokens));
  }
  if (k_out == nullptr || v_out == nullptr || k_src == nullptr || v_src == nullptr ||
      kept == nullptr || cu_kept == nullptr || cu_capacity == nullptr) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_gather: null pointer among k_out, v_out, k_src, v_src, kept, cu_kept, "
                  "cu_capacity");
  }
  return Status();
}

Status KvAppendParams::validate() const {
  if (!float_dtype(dtype)) {
    return errorf(StatusCode::kUnimplemented, "kv_append: dtype %s not supported (f32, f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_segments <= 0 || segments_per_kv_head <= 0 || head_dim <= 0 ||
      new_row_stride < head_dim) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_append: num_segments=%d segments_per_kv_head=%d head_dim=%d "
                  "new_row_stride=%lld, expected positive counts and new_row_stride >= head_dim",
                  num_segments, segments_per_kv_head, head_dim,
                  static_cast<long long>(new_row_stride));
  }
  if (k_cache == nullptr || v_cache == nullptr || k_new == nullptr || v_new == nullptr ||
      cu_capacity == nullptr || kv_lens == nullptr) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_append: null pointer among k_cache, v_cache, k_new, v_new, cu_capacity, "
                  "kv_lens");
  }
  return Status();
}

Status SegmentCapacityParams::validate() const {
  if (num_segments <= 0 || max_rows < 0 || max_rows > 2147483647LL) {
    return errorf(StatusCode::kInvalidArgument,
                  "segment_capacity: num_segments=%d max_rows=%lld, expected segments > 0 and "
                  "0 <= max_rows < 2^31",
                  num_segments, static_cast<long long>(max_rows));
  }
  if (cu_capacity == nullptr || kept_lens == nullptr || counts == nullptr || base_rows == nullptr ||
      count_index == nullptr || count_max == nullptr) {
    return errorf(StatusCode::kInvalidArgument,
                  "segment_capacity: null pointer among cu_capacity, kept_lens, counts, "
                  "base_rows, count_index, count_max");
  }
  return Status();
}

Status launch_segment_capacity(const SegmentCapacityParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  segment_capacity_kernel<<<1, kCapacityThreads, 0, stream>>>(
      p.cu_capacity, p.cu_capacity_copy, p.kept_lens, p.counts, p.base_rows, p.count_index,
      p.count_max, p.error_flag, p.num_segments, p.max_rows);
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

Status launch_kv_gather(const KvGatherParams& params, cudaStream_t stream) {
  return launch_kv_gather_parts(std::span<const KvGatherParams>(&params, 1), stream);
}

Status launch_kv_gather_parts(std::span<const KvGatherParams> parts, cudaStream_t stream) {
  if (parts.empty()) {
    return Status();
  }
  const KvGatherParams& p = parts[0];
  for (size_t i = 0; i < parts.size(); ++i) {
    const KvGatherParams& q = parts[i];
    HKV_RETURN_IF_ERROR(q.validate().with_context("kv_gather part %zu", i));
    if (q.k_out != p.k_out || q.v_out != p.v_out || q.k_src != p.k_src || q.v_src != p.v_src ||
        q.error_flag != p.error_flag || q.dtype != p.dtype || q.head_dim != p.head_dim ||
        q.num_tokens != p.num_tokens || q.src_head_stride != p.src_head_stride ||
        q.src_row_stride != p.src_row_stride) {
      return errorf(StatusCode::kInvalidArgument,
                    "kv_gather part %zu: destination, source, error flag, dtype, head_dim, "
                    "num_tokens and strides must be part 0's (one layer's gathers)",
                    i);
    }
  }
  const int64_t elem = static_cast<int64_t>(dtype_size(p.dtype));
  const int w = word_bytes({p.head_dim * elem, p.src_row_stride * elem, p.src_head_stride * elem},
                           {p.k_out, p.v_out, p.k_src, p.v_src});
  for (size_t first = 0; first < parts.size();) {
    // As many parts as fit one launch: at most kMaxGatherParts and a grid under 2^31 blocks.
    GatherParts gp{};
    int64_t blocks = 0;
    size_t i = first;
    for (; i < parts.size() && gp.num_parts < kMaxGatherParts; ++i) {
      const KvGatherParams& q = parts[i];
      const int64_t bx = std::clamp<int64_t>(
          (q.max_rows_per_segment + kWarpsPerBlock - 1) / kWarpsPerBlock, 1, 1024);
      if (blocks + bx * q.num_segments > 2147483647LL) {
        break;
      }
      gp.part[gp.num_parts++] = GatherPart{q.kept,
                                           q.cu_kept,
                                           q.kept_lens,
                                           q.cu_capacity,
                                           q.kv_lens,
                                           q.tail_start,
                                           q.num_tail_rows,
                                           q.segments_per_kv_head,
                                           static_cast<int32_t>(bx),
                                           static_cast<int32_t>(blocks)};
      blocks += bx * q.num_segments;
    }
    first = i;
    HKV_RETURN_IF_ERROR(dispatch_word(w, [&](auto word) -> Status {
      using W = decltype(word);
      kv_gather_kernel<W><<<static_cast<unsigned>(blocks), kWarpsPerBlock * 32, 0, stream>>>(
          static_cast<W*>(p.k_out), static_cast<W*>(p.v_out), static_cast<const W*>(p.k_src),
          static_cast<const W*>(p.v_src), p.error_flag, gp,
          static_cast<int32_t>(p.head_dim * elem / w), p.num_tokens, p.src_head_stride * elem / w,
          p.src_row_stride * elem / w);
      HKV_CUDA_CHECK_LAUNCH(stream);
      return Status();
    }));
  }
  return Status();
}

Status launch_kv_append(const KvAppendParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  const int64_t elem = static_cast<int64_t>(dtype_size(p.dtype));
  const int w = word_bytes({p.head_dim * elem, p.new_row_stride * elem},
                           {p.k_cache, p.v_cache, p.k_new, p.v_new});
  return dispatch_word(w, [&](auto word) -> Status {
    using W = decltype(word);
    kv_append_kernel<W><<<p.num_segments, 64, 0, stream>>>(
        static_cast<W*>(p.k_cache), static_cast<W*>(p.v_cache), static_cast<const W*>(p.k_new),
        static_cast<const W*>(p.v_new), p.cu_capacity, p.kv_lens, p.error_flag, p.segment_src_row,
        p.segments_per_kv_head, static_cast<int32_t>(p.head_dim * elem / w),
        p.new_row_stride * elem / w);
    HKV_CUDA_CHECK_LAUNCH(stream);
    return Status();
  });
}

}  // namespace hkv::kernels
