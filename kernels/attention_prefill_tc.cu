// Flash-attention-2 style causal GQA prefill on the tensor cores. Block = 4 warps = 64 or 128 query
// rows of one query head; each warp owns 16 or 32 rows (MT below). Per 64-key tile: S = Q.K^T with
// mma.sync m16n8k16 (fp32 accumulate), causal mask, online softmax in fp32 (exp2 with log2(e)
// folded into the scale), P rounded to the input dtype (as FA2 / SDPA do), O += P.V with mma. Q, K,
// V tiles sit in shared memory with rows padded by 16 bytes (conflict-free ldmatrix). K and V are
// double-buffered and copied with cp.async: the next K tile streams in while this tile's S = Q.K^T
// and softmax run, the next V tile while O += P.V runs (FA2's overlap, with two buffers each so no
// warp waits for another's reads). The arithmetic is exactly the synchronous kernel's, so the
// outputs are bit-identical to it. Output O / l rounded to the dtype.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/attention_prefill_tc.cuh"
#include "kernels/cuda_utils.h"

namespace hkv::kernels::internal {
namespace {

constexpr int kWarps = 4;
constexpr int kBlockN = 64;  // keys per tile

template <typename T>
struct MmaOp;

template <>
struct MmaOp<__half> {
  __device__ static void run(float* c, const uint32_t* a, const uint32_t* b) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }

  __device__ static uint32_t pack(float lo, float hi) {
    __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
  }
};

template <>
struct MmaOp<__nv_bfloat16> {
  __device__ static void run(float* c, const uint32_t* a, const uint32_t* b) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }

  __device__ static uint32_t pack(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&h);
  }
};

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t* r, const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t* r, const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}

// Waits until at most N of this thread's committed cp.async groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// Starts copying rows [row0, row0 + rows) of a [*, stride] global matrix (D halves per row) into a
// [rows, D + 8] shared tile with 16-byte cp.async; rows at or past `limit` are zero-filled (source
// size 0, from a clamped in-bounds address). The caller commits the group.
template <typename T, int D>
__device__ __forceinline__ void load_tile_async(
    T* tile, const T* g, int64_t row0, int rows, int64_t limit, int64_t stride) {
  constexpr int kVecs = D / 8;  // 16-byte vectors per row
  for (int i = threadIdx.x; i < rows * kVecs; i += kWarps * 32) {
    const int r = i / kVecs, c = (i % kVecs) * 8;
    const bool valid = row0 + r < limit;
    const T* src = g + (valid ? row0 + r : 0) * stride + c;
    asm volatile(
        "cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(tile + r * (D + 8) + c)),
        "l"(src), "r"(valid ? 16 : 0));
  }
}

// MT = 16-row M tiles per warp: a block holds 16 * kWarps * MT query rows. With MT = 2 every K and
// V fragment read from shared memory feeds two mma instead of one (FA2's 128-row blocks), at the
// cost of fewer, larger blocks; launch() picks MT per call. Q stays in registers when it fits.
template <typename T, int D, int MT>
__global__ void __launch_bounds__(kWarps * 32, MT == 1 ? 1 : 2)
    attention_prefill_tc_kernel(T* __restrict__ out,      // [num_q_tokens, num_q_heads, D]
                                const T* __restrict__ q,  // [num_q_tokens, num_q_heads, D]
                                const T* __restrict__ k,  // [kv_len, num_kv_heads, D]
                                const T* __restrict__ v,  // [kv_len, num_kv_heads, D]
                                int64_t num_q_tokens,
                                int64_t kv_len,
                                int num_q_heads,
                                int num_kv_heads,
                                float scale_log2) {  // softmax scale * log2(e)
  constexpr int kBlockM = 16 * kWarps * MT;
  constexpr bool kQInRegs = MT * D <= 128;  // else Q's fragments are re-read from shared memory
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* qs = reinterpret_cast<T*>(smem_raw);  // [kBlockM, D + 8]
  T* ks = qs + kBlockM * (D + 8);          // [2][kBlockN, D + 8]: K tiles, double-buffered
  T* vs = ks + 2 * kBlockN * (D + 8);      // [2][kBlockN, D + 8]: V tiles, double-buffered
  constexpr int kTile = kBlockN * (D + 8);
  const int head = blockIdx.y;
  const int kv_head = head / (num_q_heads / num_kv_heads);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  // Heavy (late) query tiles first: they have the most keys.
  const int64_t m0 = static_cast<int64_t>(gridDim.x - 1 - blockIdx.x) * kBlockM;
  const int64_t offset = kv_len - num_q_tokens;
  const int64_t q_stride = static_cast<int64_t>(num_q_heads) * D;
  const int64_t kv_stride = static_cast<int64_t>(num_kv_heads) * D;
  const T* qw = qs + (warp * 16 * MT + lane % 16) * (D + 8) + (lane / 16) * 8;  // ldmatrix row

  float o[MT][D / 8][4];
  float row_max[MT][2], row_sum[MT][2];
  // Query row of M tile mt, half hr (rows g and g + 8 of the tile).
  auto row_of = [&](int mt, int hr) { return m0 + (warp * MT + mt) * 16 + g + 8 * hr; };
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int i = 0; i < D / 8; ++i) {
      o[mt][i][0] = o[mt][i][1] = o[mt][i][2] = o[mt][i][3] = 0.0f;
    }
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      row_max[mt][hr] = -INFINITY;
      row_sum[mt][hr] = 0.0f;
    }
  }
  const int64_t block_last = min(m0 + kBlockM, num_q_tokens) - 1;
  const int64_t key_end = min(kv_len, block_last + offset + 1);
  const int64_t tiles = (key_end + kBlockN - 1) / kBlockN;

  // cp.async groups in flight, in commit order: {Q, K0}, V0, then per tile i: K[i+1], V[i+1]
  // (empty groups past the last tile keep the count uniform). Buffer (i + 1) % 2 was last read in
  // tile i - 1, which every warp finished before this tile's first barrier.
  load_tile_async<T, D>(qs, q + head * D, m0, kBlockM, num_q_tokens, q_stride);
  load_tile_async<T, D>(ks, k + kv_head * D, 0, kBlockN, kv_len, kv_stride);
  cp_async_commit();
  load_tile_async<T, D>(vs, v + kv_head * D, 0, kBlockN, kv_len, kv_stride);
  cp_async_commit();
  // This warp's query rows as mma A fragments, when they live in registers (loaded in tile 0).
  uint32_t qf[kQInRegs ? MT : 1][kQInRegs ? D / 16 : 1][4];
  for (int64_t it = 0; it < tiles; ++it) {
    const int64_t n0 = it * kBlockN;
    const T* kt = ks + (it % 2) * kTile;  // [kBlockN, D + 8]: this tile's keys
    const T* vt = vs + (it % 2) * kTile;  // [kBlockN, D + 8]: this tile's values
    cp_async_wait<1>();                   // K[it] (and Q) landed; V[it] may still be in flight
    __syncthreads();
    if constexpr (kQInRegs) {
      if (it == 0) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
          for (int kc = 0; kc < D / 16; ++kc) {
            ldmatrix_x4(qf[mt][kc], qw + mt * 16 * (D + 8) + kc * 16);
          }
        }
      }
    }
    if (it + 1 < tiles) {
      load_tile_async<T, D>(ks + ((it + 1) % 2) * kTile, k + kv_head * D, n0 + kBlockN, kBlockN,
                            kv_len, kv_stride);
    }
    cp_async_commit();
    // S = Q.K^T; each element accumulates its 16-wide k chunks in order 0, 1, ..., D / 16 - 1.
    float s[MT][kBlockN / 8][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int nt = 0; nt < kBlockN / 8; ++nt) {
        s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0.0f;
      }
    }
#pragma unroll
    for (int kc = 0; kc < D / 16; ++kc) {
      uint32_t a[MT][4];  // chunk kc of each M tile
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        if constexpr (kQInRegs) {
#pragma unroll
          for (int r = 0; r < 4; ++r) {
            a[mt][r] = qf[mt][kc][r];
          }
        } else {
          ldmatrix_x4(a[mt], qw + mt * 16 * (D + 8) + kc * 16);
        }
      }
#pragma unroll
      for (int nt = 0; nt < kBlockN / 8; nt += 2) {
        uint32_t
            b[4];  // chunk kc of keys nt * 8 .. + 8 (b[0..1]) and (nt + 1) * 8 .. + 8 (b[2..3])
        ldmatrix_x4(b, kt + (nt * 8 + lane % 8 + (lane / 16) * 8) * (D + 8) + kc * 16 +
                           ((lane / 8) % 2) * 8);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          MmaOp<T>::run(s[mt][nt], a[mt], b);
          MmaOp<T>::run(s[mt][nt + 1], a[mt], b + 2);
        }
      }
    }
    // Mask (causal and past kv_len), then the online softmax per row (rows g and g + 8 of each M
    // tile; each row's 64 values are spread over the 4 lanes of a quad).
    const bool needs_mask = n0 + kBlockN - 1 > m0 + offset || n0 + kBlockN > kv_len;
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      float tile_max[2] = {-INFINITY, -INFINITY};
      int last_key[2] = {kBlockN, kBlockN};  // per row: the last key of this tile it may see
      if (needs_mask) {
#pragma unroll
        for (int hr = 0; hr < 2; ++hr) {
          const int64_t last = min(row_of(mt, hr) + offset, kv_len - 1) - n0;
          last_key[hr] = last < 0 ? -1 : static_cast<int>(last < kBlockN ? last : kBlockN);
        }
      }
#pragma unroll
      for (int nt = 0; nt < kBlockN / 8; ++nt) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int hr = e / 2;
          float val = s[mt][nt][e] * scale_log2;
          if (nt * 8 + 2 * t + (e % 2) > last_key[hr]) {  // causal, or past kv_len
            val = -INFINITY;
          }
          s[mt][nt][e] = val;
          tile_max[hr] = fmaxf(tile_max[hr], val);
        }
      }
      float correction[2];
#pragma unroll
      for (int hr = 0; hr < 2; ++hr) {
        tile_max[hr] = fmaxf(tile_max[hr], __shfl_xor_sync(0xffffffffu, tile_max[hr], 1));
        tile_max[hr] = fmaxf(tile_max[hr], __shfl_xor_sync(0xffffffffu, tile_max[hr], 2));
        const float new_max = fmaxf(row_max[mt][hr], tile_max[hr]);
        // A row with every key masked so far keeps max -inf: use 0 to avoid inf - inf.
        const float base = new_max == -INFINITY ? 0.0f : new_max;
        correction[hr] = exp2f(row_max[mt][hr] - base);
        row_max[mt][hr] = new_max;
        row_sum[mt][hr] *= correction[hr];
#pragma unroll
        for (int nt = 0; nt < kBlockN / 8; ++nt) {
          s[mt][nt][2 * hr] = exp2f(s[mt][nt][2 * hr] - base);
          s[mt][nt][2 * hr + 1] = exp2f(s[mt][nt][2 * hr + 1] - base);
          row_sum[mt][hr] += s[mt][nt][2 * hr] + s[mt][nt][2 * hr + 1];
        }
      }
#pragma unroll
      for (int i = 0; i < D / 8; ++i) {
        o[mt][i][0] *= correction[0];
        o[mt][i][1] *= correction[0];
        o[mt][i][2] *= correction[1];
        o[mt][i][3] *= correction[1];
      }
    }
    cp_async_wait<1>();  // V[it] landed; K[it + 1] may still be in flight
    __syncthreads();
    if (it + 1 < tiles) {
      load_tile_async<T, D>(vs + ((it + 1) % 2) * kTile, v + kv_head * D, n0 + kBlockN, kBlockN,
                            kv_len, kv_stride);
    }
    cp_async_commit();
    // O += P.V: P's accumulator layout is the A-fragment layout of the next mma.
#pragma unroll
    for (int kc = 0; kc < kBlockN / 16; ++kc) {
      uint32_t a[MT][4];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        a[mt][0] = MmaOp<T>::pack(s[mt][2 * kc][0], s[mt][2 * kc][1]);
        a[mt][1] = MmaOp<T>::pack(s[mt][2 * kc][2], s[mt][2 * kc][3]);
        a[mt][2] = MmaOp<T>::pack(s[mt][2 * kc + 1][0], s[mt][2 * kc + 1][1]);
        a[mt][3] = MmaOp<T>::pack(s[mt][2 * kc + 1][2], s[mt][2 * kc + 1][3]);
      }
#pragma unroll
      for (int dt = 0; dt < D / 8; dt += 2) {
        uint32_t b[4];
        const int r = kc * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
        ldmatrix_x4_trans(b, vt + r * (D + 8) + dt * 8 + (lane / 16) * 8);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          MmaOp<T>::run(o[mt][dt], a[mt], b);
          MmaOp<T>::run(o[mt][dt + 1], a[mt], b + 2);
        }
      }
    }
  }
  // Row sums: combine the quad's partial sums, normalise, store.
#pragma unroll
  for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      float sum = row_sum[mt][hr];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const int64_t row = row_of(mt, hr);
      if (row >= num_q_tokens) {
        continue;
      }
      const float inv = 1.0f / sum;
      T* dst = out + row * q_stride + head * D;
#pragma unroll
      for (int dt = 0; dt < D / 8; ++dt) {
        const uint32_t packed =
            MmaOp<T>::pack(o[mt][dt][2 * hr] * inv, o[mt][dt][2 * hr + 1] * inv);
        *reinterpret_cast<uint32_t*>(dst + dt * 8 + 2 * t) = packed;
      }
    }
  }
}

template <typename T, int D, int MT>
Status launch(const AttentionPrefillParams& p, cudaStream_t stream) {
  constexpr int kBlockM = 16 * kWarps * MT;
  constexpr int kSmem = (kBlockM + 4 * kBlockN) * (D + 8) * static_cast<int>(sizeof(T));
  // Every launch: the attributes belong to the current device, and workers drive one GPU each.
  // The carveout asks for the most shared memory, so two blocks (2 x 87 KB at D = 128 and MT = 1,
  // 2 x 102 KB at MT = 2) share an SM.
  HKV_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(
      attention_prefill_tc_kernel<T, D, MT>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
  HKV_CUDA_RETURN_IF_ERROR(cudaFuncSetAttribute(attention_prefill_tc_kernel<T, D, MT>,
                                                cudaFuncAttributePreferredSharedMemoryCarveout,
                                                cudaSharedmemCarveoutMaxShared));
  const dim3 grid(static_cast<unsigned>((p.num_q_tokens + kBlockM - 1) / kBlockM),
                  static_cast<unsigned>(p.num_q_heads));
  attention_prefill_tc_kernel<T, D, MT><<<grid, kWarps * 32, kSmem, stream>>>(
      static_cast<T*>(p.out), static_cast<const T*>(p.q), static_cast<const T*>(p.k),
      static_cast<const T*>(p.v), p.num_q_tokens, p.kv_len, p.num_q_heads, p.num_kv_heads,
      p.scale * 1.4426950408889634f);
  HKV_CUDA_CHECK_LAUNCH(stream);
  return Status();
}

template <typename T>
Status launch_dtype(const AttentionPrefillParams& p, int m_tiles, cudaStream_t stream) {
  if (p.head_dim == 64) {
    return m_tiles == 2 ? launch<T, 64, 2>(p, stream) : launch<T, 64, 1>(p, stream);
  }
  return m_tiles == 2 ? launch<T, 128, 2>(p, stream) : launch<T, 128, 1>(p, stream);
}

}  // namespace

int attention_prefill_tc_m_tiles(const AttentionPrefillParams& p, int sm_count) {
  // 128-row blocks only when they still fill every SM twice over (two blocks fit an SM): short
  // prompts keep 64-row blocks and twice the blocks.
  const int64_t blocks = (p.num_q_tokens + 16 * kWarps * 2 - 1) / (16 * kWarps * 2) * p.num_q_heads;
  return blocks >= 2 * static_cast<int64_t>(sm_count) ? 2 : 1;
}

Status launch_attention_prefill_tc(const AttentionPrefillParams& p,
                                   cudaStream_t stream,
                                   int m_tiles) {
  if (m_tiles == 0) {
    int device = 0, sm_count = 0;
    HKV_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
    HKV_CUDA_RETURN_IF_ERROR(
        cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device));
    m_tiles = attention_prefill_tc_m_tiles(p, sm_count);
  }
  if (m_tiles != 1 && m_tiles != 2) {
    return errorf(StatusCode::kInvalidArgument,
                  "attention_prefill_tc: m_tiles=%d (expected 0 = auto, 1 or 2)", m_tiles);
  }
  return p.dtype == DType::kF16 ? launch_dtype<__half>(p, m_tiles, stream)
                                : launch_dtype<__nv_bfloat16>(p, m_tiles, stream);
}

}  // namespace hkv::kernels::internal
