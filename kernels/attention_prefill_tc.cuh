// Internal: the tensor-core (mma.sync m16n8k16) path of launch_attention_prefill for f16/bf16.
#pragma once

#include <cuda_runtime_api.h>

#include "common/status.h"
#include "kernels/attention_prefill.h"

namespace hkv::kernels::internal {

// Params already validated; dtype f16 or bf16, head_dim 64 or 128.
Status launch_attention_prefill_tc(const AttentionPrefillParams& params, cudaStream_t stream);

}  // namespace hkv::kernels::internal
