// The CPU engine's element-wise hot loops, vectorised: softmax rows of the attention and the
// SwiGLU gate. This file is built with -O3 -ffast-math and one clone per x86-64 level (v4:
// AVX-512, v3: AVX2, baseline), so exp runs through glibc's vector math (libmvec, within 4 ulp of
// expf) and sums are reassociated; results stay within float32 rounding of the reference.
#pragma once

#include <cstdint>

namespace hkv::model {

// x[0, n) <- softmax(x[0, n)) (max subtracted first).
void softmax_inplace(float* x,  // [n]
                     int64_t n);

// gate[i] <- silu(gate[i]) * up[i] for i in [0, n).
void silu_mul_inplace(float* gate,      // [n]
                      const float* up,  // [n]
                      int64_t n);

}  // namespace hkv::model
