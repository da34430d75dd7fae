// Internal: the tensor-core (mma.sync m16n8k16) path of launch_attention_prefill for f16/bf16.
#pragma once

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/attention_prefill.h"

namespace hkv::kernels::internal {

// Params already validated; dtype f16 or bf16, head_dim 64 or 128. m_tiles: 16-row M tiles per
// warp (1: 64-row blocks, 2: 128-row blocks); 0 picks by attention_prefill_tc_m_tiles. Both give
// bit-identical outputs (same arithmetic per row, in the same order).
Status launch_attention_prefill_tc(const AttentionPrefillParams& params,
                                   cudaStream_t stream,
                                   int m_tiles = 0);

// The M tiles per warp launch_attention_prefill_tc picks for `params` on a GPU with sm_count SMs.
int attention_prefill_tc_m_tiles(const AttentionPrefillParams& params, int sm_count);

}  // namespace hkv::kernels::internal
