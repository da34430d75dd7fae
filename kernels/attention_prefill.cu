// The CUDA-core path (f32, and unaligned 16-bit inputs; f16/bf16 go to attention_prefill_tc.cu).
// One block per (query tile of kRows rows, query head). Each row is owned by kLanes consecutive
// threads that split head_dim; a key tile of kKeys rows of K and V sits in shared memory as fp32.
// Per key: partial dot products are reduced across the row's lanes with shuffles, then the online
// softmax rescales the lane's slice of the output accumulator.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/attention_prefill.h"
#include "kernels/attention_prefill_tc.cuh"
#include "kernels/common.cuh"

namespace hkv::kernels {
namespace {

constexpr int kRows = 32;  // query rows per block
constexpr int kLanes = 4;  // threads per query row
constexpr int kThreads = kRows * kLanes;
constexpr int kKeys = 32;  // keys per shared-memory tile

template <typename T, int D>
__global__ void __launch_bounds__(kThreads)
    attention_prefill_kernel(T* __restrict__ out,      // [num_q_tokens, num_q_heads, D]
                             const T* __restrict__ q,  // [num_q_tokens, num_q_heads, D]
                             const T* __restrict__ k,  // [kv_len, num_kv_heads, D]
                             const T* __restrict__ v,  // [kv_len, num_kv_heads, D]
                             int64_t num_q_tokens,
                             int64_t kv_len,
                             int num_q_heads,
                             int num_kv_heads,
                             float scale) {
  constexpr int kSlice = D / kLanes;  // dims per lane
  __shared__ float ks[kKeys][D];
  __shared__ float vs[kKeys][D];
  const int head = blockIdx.y;
  const int kv_head = head / (num_q_heads / num_kv_heads);
  const int row_in_tile = threadIdx.x / kLanes;
  const int lane = threadIdx.x % kLanes;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRows + row_in_tile;
  const int64_t offset = kv_len - num_q_tokens;  // query row r is sequence position r + offset
  const bool active = row < num_q_tokens;
  float qr[kSlice], acc[kSlice];
  for (int d = 0; d < kSlice; ++d) {
    qr[d] = active ? to_float(q[(row * num_q_heads + head) * D + lane * kSlice + d]) * scale : 0.0f;
    acc[d] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  const int64_t last_row = min(static_cast<int64_t>(blockIdx.x + 1) * kRows, num_q_tokens) - 1;
  const int64_t key_end = last_row + offset + 1;  // keys any row of this tile may see
  for (int64_t k0 = 0; k0 < key_end; k0 += kKeys) {
    __syncthreads();
    for (int i = threadIdx.x; i < kKeys * D; i += kThreads) {
      int r = i / D, c = i % D;
      int64_t key = k0 + r;
      bool ok = key < kv_len;
      ks[r][c] = ok ? to_float(k[(key * num_kv_heads + kv_head) * D + c]) : 0.0f;
      vs[r][c] = ok ? to_float(v[(key * num_kv_heads + kv_head) * D + c]) : 0.0f;
    }
    __syncthreads();
    const int64_t limit = row + offset;  // last visible key of this row
    for (int j = 0; j < kKeys; ++j) {
      int64_t key = k0 + j;
      float s = 0.0f;
      for (int d = 0; d < kSlice; ++d) {
        s += qr[d] * ks[j][lane * kSlice + d];
      }
      for (int w = kLanes / 2; w > 0; w /= 2) {
        s += __shfl_xor_sync(0xffffffffu, s, w);
      }
      if (!active || key > limit || key >= kv_len) {
        continue;
      }
      float m_new = fmaxf(m, s);
      float correction = __expf(m - m_new);
      float p = __expf(s - m_new);
      l = l * correction + p;
      for (int d = 0; d < kSlice; ++d) {
        acc[d] = acc[d] * correction + p * vs[j][lane * kSlice + d];
      }
      m = m_new;
    }
  }
  if (active) {
    float inv = 1.0f / l;
    for (int d = 0; d < kSlice; ++d) {
      out[(row * num_q_heads + head) * D + lane * kSlice + d] = from_float<T>(acc[d] * inv);
    }
  }
}

template <typename T>
Status launch_typed(const AttentionPrefillParams& p, cudaStream_t stream) {
  dim3 grid(static_cast<unsigned>((p.num_q_tokens + kRows - 1) / kRows),
            static_cast<unsigned>(p.num_q_heads));
  auto* out = static_cast<T*>(p.out);
  auto* q = static_cast<const T*>(p.q);
  auto* k = static_cast<const T*>(p.k);
  auto* v = static_cast<const T*>(p.v);
  switch (p.head_dim) {
    case 64:
      attention_prefill_kernel<T, 64><<<grid, kThreads, 0, stream>>>(
          out, q, k, v, p.num_q_tokens, p.kv_len, p.num_q_heads, p.num_kv_heads, p.scale);
      break;
    case 128:
      attention_prefill_kernel<T, 128><<<grid, kThreads, 0, stream>>>(
          out, q, k, v, p.num_q_tokens, p.kv_len, p.num_q_heads, p.num_kv_heads, p.scale);
      break;
    default:
      return errorf(StatusCode::kUnimplemented,
                    "attention_prefill: head_dim=%d not compiled (64, 128)", p.head_dim);
  }
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

}  // namespace

Status AttentionPrefillParams::validate() const {
  if (num_q_tokens < 1 || kv_len < num_q_tokens) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_prefill: num_q_tokens=%lld, kv_len=%lld (need 1 <= q <= kv)",
                  static_cast<long long>(num_q_tokens), static_cast<long long>(kv_len));
  }
  if (num_q_heads < 1 || num_kv_heads < 1 || num_q_heads % num_kv_heads != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_prefill: %d query heads, %d KV heads (must divide)", num_q_heads,
                  num_kv_heads);
  }
  if (head_dim != 64 && head_dim != 128) {
    return errorf(StatusCode::kUnimplemented,
                  "attention_prefill: head_dim=%d not compiled (64, 128)", head_dim);
  }
  if (out == nullptr || q == nullptr || k == nullptr || v == nullptr) {
    return errorf(StatusCode::kInvalidArgument, "attention_prefill: null pointer");
  }
  if (num_q_heads > 65535 || (num_q_tokens + kRows - 1) / kRows > 0x7fffffff) {
    return errorf(StatusCode::kInvalidArgument, "attention_prefill: grid too large");
  }
  return Status();
}

Status launch_attention_prefill(const AttentionPrefillParams& p, cudaStream_t stream) {
  HKV_RETURN_IF_ERROR(p.validate());
  switch (p.dtype) {
    case DType::kF32:
      return launch_typed<float>(p, stream);
    case DType::kF16:
    case DType::kBf16:
      // Tensor cores (16-byte aligned rows required for the vector tile loads).
      if (reinterpret_cast<uintptr_t>(p.q) % 16 == 0 &&
          reinterpret_cast<uintptr_t>(p.k) % 16 == 0 &&
          reinterpret_cast<uintptr_t>(p.v) % 16 == 0 &&
          reinterpret_cast<uintptr_t>(p.out) % 4 == 0) {
        return internal::launch_attention_prefill_tc(p, stream);
      }
      return p.dtype == DType::kF16 ? launch_typed<__half>(p, stream)
                                    : launch_typed<__nv_bfloat16>(p, stream);
    default:
      return errorf(StatusCode::kUnimplemented, "attention_prefill: dtype %s not compiled",
                    dtype_name(p.dtype));
  }
}

}  // namespace hkv::kernels
