// Top-k as a full stable segmented sort: a 16-bit score maps to an order-preserving unsigned key,
// values are the positions 0..len-1, and CUB's stable descending sort keeps equal keys in
// ascending position. Sorting all of L (<= 32 x 100k keys per layer) costs microseconds and
// handles every k, including k >= len, with one code path.
#include <algorithm>

#include <cub/device/device_segmented_sort.cuh>

#include "kernels/common.cuh"
#include "kernels/dispatch.cuh"
#include "kernels/topk_select.h"

namespace hkv::kernels {
namespace {

constexpr int kThreads = 256;

// Order-preserving map of fp16/bf16 bits to uint16 (both are sign-magnitude): negatives flip all
// bits, positives set the sign bit. -0 maps like +0 (they compare equal) and every NaN to the top.
__device__ __forceinline__ uint16_t sortable_key(uint16_t bits, bool is_nan) {
  if (is_nan) {
    return 0xffffu;
  }
  if ((bits & 0x7fffu) == 0) {
    bits = 0;
  }
  return (bits & 0x8000u) ? static_cast<uint16_t>(~bits) : static_cast<uint16_t>(bits | 0x8000u);
}

template <typename T>
__global__ void build_keys_kernel(uint16_t* __restrict__ keys,          // [total_len]
                                  int32_t* __restrict__ positions,      // [total_len]
                                  const T* __restrict__ scores,         // [total_len]
                                  const int32_t* __restrict__ cu_lens,  // [num_segments + 1]
                                  int32_t num_segments,
                                  int64_t total_len) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total_len;
       e += stride) {
    // The segment holding e: the last s with cu_lens[s] <= e (binary search, segments are few).
    int32_t a = 0;
    int32_t b = num_segments - 1;
    while (a < b) {
      const int32_t mid = (a + b + 1) / 2;
      if (cu_lens[mid] <= e) {
        a = mid;
      } else {
        b = mid - 1;
      }
    }
    const T v = scores[e];
    const float f = to_float<T>(v);
    keys[e] = sortable_key(*reinterpret_cast<const uint16_t*>(&v), f != f);
    positions[e] = static_cast<int32_t>(e - cu_lens[a]);
  }
}

__global__ void copy_prefix_kernel(int32_t* __restrict__ out,            // [cu_k[num_seg]]
                                   const int32_t* __restrict__ sorted,   // [total_len]
                                   const int32_t* __restrict__ cu_lens,  // [num_segments + 1]
                                   const int32_t* __restrict__ cu_k) {   // [num_segments + 1]
  const int s = blockIdx.y;
  const int32_t len = cu_lens[s + 1] - cu_lens[s];
  const int32_t k = cu_k[s + 1] - cu_k[s];
  for (int32_t r = blockIdx.x * blockDim.x + threadIdx.x; r < k; r += gridDim.x * blockDim.x) {
    // A one-element segment needs no sort (and CUB may leave it out of the output buffer).
    out[cu_k[s] + r] = r >= len ? -1 : (len == 1 ? 0 : sorted[cu_lens[s] + r]);
  }
}

struct Layout {
  int64_t keys_in = 0, keys_out = 0, values_in = 0, values_out = 0, temp = 0;
  int64_t temp_bytes = 0;
  int64_t total = 0;
};

Result<Layout> layout_for(const TopkSelectParams& p) {
  size_t temp_bytes = 0;
  HKV_CUDA_RETURN_IF_ERROR(cub::DeviceSegmentedSort::StableSortPairsDescending(
      nullptr, temp_bytes, static_cast<const uint16_t*>(nullptr), static_cast<uint16_t*>(nullptr),
      static_cast<const int32_t*>(nullptr), static_cast<int32_t*>(nullptr), p.total_len,
      p.num_segments, static_cast<const int32_t*>(nullptr), static_cast<const int32_t*>(nullptr),
      cudaStream_t{}));
  Layout l;
  const int64_t n = p.total_len;
  l.keys_in = 0;
  l.keys_out = l.keys_in + align256(n * 2);
  l.values_in = l.keys_out + align256(n * 2);
  l.values_out = l.values_in + align256(n * 4);
  l.temp = l.values_out + align256(n * 4);
  l.temp_bytes = static_cast<int64_t>(temp_bytes);
  l.total = l.temp + align256(l.temp_bytes);
  return l;
}

}  // namespace

Result<int64_t> topk_select_workspace_bytes(const TopkSelectParams& params) {
  if (params.num_segments <= 0 || params.total_len < 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "topk_select: num_segments=%d total_len=%lld, expected > 0 and >= 0",
                  params.num_segments, static_cast<long long>(params.total_len));
  }
  HKV_ASSIGN_OR_RETURN(Layout l, layout_for(params));
  return l.total;
}

Status TopkSelectParams::validate() const {
  if (dtype != DType::kF16 && dtype != DType::kBf16) {
    return errorf(StatusCode::kUnimplemented, "topk_select: dtype %s not compiled (f16, bf16)",
                  dtype_name(dtype));
  }
  if (num_segments <= 0 || num_segments > 65535 || total_len < 0 || total_len > 2147483647LL) {
    return errorf(StatusCode::kInvalidArgument,
                  "topk_select: num_segments=%d total_len=%lld, expected 0 < num_segments <= "
                  "65535 and 0 <= total_len < 2^31",
                  num_segments, static_cast<long long>(total_len));
  }
  if (out == nullptr || cu_lens == nullptr || cu_k == nullptr || workspace == nullptr ||
      (total_len > 0 && scores == nullptr)) {
    return errorf(StatusCode::kInvalidArgument, "topk_select: null %s pointer",
                  out == nullptr         ? "out"
                  : cu_lens == nullptr   ? "cu_lens"
                  : cu_k == nullptr      ? "cu_k"
                  : workspace == nullptr ? "workspace"
                                         : "scores");
  }
  if (!is_aligned(workspace, 16)) {
    return errorf(StatusCode::kInvalidArgument, "topk_select: workspace must be 16-byte aligned");
  }
  return Status();
}

Status launch_topk_select(const TopkSelectParams& params, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(params.validate());
  HKV_ASSIGN_OR_RETURN(Layout l, layout_for(params));
  if (params.workspace_bytes < l.total) {
    return errorf(StatusCode::kInvalidArgument,
                  "topk_select: workspace_bytes=%lld, expected >= %lld",
                  static_cast<long long>(params.workspace_bytes), static_cast<long long>(l.total));
  }
  uint8_t* ws = static_cast<uint8_t*>(params.workspace);
  uint16_t* keys_in = reinterpret_cast<uint16_t*>(ws + l.keys_in);
  uint16_t* keys_out = reinterpret_cast<uint16_t*>(ws + l.keys_out);
  int32_t* values_in = reinterpret_cast<int32_t*>(ws + l.values_in);
  int32_t* values_out = reinterpret_cast<int32_t*>(ws + l.values_out);
  if (params.total_len > 0) {
    const int blocks =
        static_cast<int>(std::min<int64_t>((params.total_len + kThreads - 1) / kThreads, 65535));
    HKV_RETURN_IF_ERROR(dispatch_half_dtype(params.dtype, "topk_select", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      build_keys_kernel<T><<<blocks, kThreads, 0, stream>>>(
          keys_in, values_in, static_cast<const T*>(params.scores), params.cu_lens,
          params.num_segments, params.total_len);
      HKV_CUDA_CHECK_LAUNCH(stream);
      return Status();
    }));
    size_t temp_bytes = static_cast<size_t>(l.temp_bytes);
    HKV_CUDA_RETURN_IF_ERROR(cub::DeviceSegmentedSort::StableSortPairsDescending(
        ws + l.temp, temp_bytes, keys_in, keys_out, values_in, values_out, params.total_len,
        params.num_segments, params.cu_lens, params.cu_lens + 1, stream));
    HKV_CUDA_CHECK_LAUNCH(stream);
  }
  // Enough x-blocks for the largest plausible k (HeadKV caps reach a few thousand); the loop
  // strides over the rest.
  const dim3 grid(8, static_cast<unsigned>(params.num_segments));
  copy_prefix_kernel<<<grid, kThreads, 0, stream>>>(params.out, values_out, params.cu_lens,
                                                    params.cu_k);
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

}  // namespace hkv::kernels
