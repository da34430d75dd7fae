// Runtime -> compile-time dispatch for the kernels: dtype and head_dim switches as generic lambdas
// (flash-attn BOOL_SWITCH, vLLM VLLM_DISPATCH_*). The supported values are the explicit lists
// below; anything else returns kUnimplemented naming the value, never a silent default.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "common/status.h"
#include "kernels/cuda_utils.h"

namespace hkv::kernels {

template <typename T>
struct TypeTag {
  using type = T;
};

template <int kValue>
struct IntTag {
  static constexpr int value = kValue;
};

// f32, f16, bf16: element-wise ops, norms, attention.
template <typename F>
Status dispatch_float_dtype(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::kF32:
      return f(TypeTag<float>{});
    case DType::kF16:
      return f(TypeTag<__half>{});
    case DType::kBf16:
      return f(TypeTag<__nv_bfloat16>{});
    default:
      return errorf(StatusCode::kUnimplemented, "%s: dtype %s not compiled (f32, f16, bf16)", op,
                    dtype_name(dtype));
  }
}

// f16, bf16: the 16-bit score paths (window score, top-k), whose rounding steps are the dtype's.
template <typename F>
Status dispatch_half_dtype(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::kF16:
      return f(TypeTag<__half>{});
    case DType::kBf16:
      return f(TypeTag<__nv_bfloat16>{});
    default:
      return errorf(StatusCode::kUnimplemented, "%s: dtype %s not compiled (f16, bf16)", op,
                    dtype_name(dtype));
  }
}

// head_dim 64 and 128 (Llama-3 and Mistral use 128; 64 for small test models).
template <typename F>
Status dispatch_head_dim(int head_dim, const char* op, F&& f) {
  switch (head_dim) {
    case 64:
      return f(IntTag<64>{});
    case 128:
      return f(IntTag<128>{});
    default:
      return errorf(StatusCode::kUnimplemented, "%s: head_dim=%d not compiled (64, 128)", op,
                    head_dim);
  }
}

}  // namespace hkv::kernels
