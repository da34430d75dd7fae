// Rotary position embedding as Hugging Face Llama applies it (rotate_half on the two halves of each
// head), with Llama-3.1 ("llama3") and linear frequency scaling.
#pragma once

#include <cstdint>
#include <vector>

#include "formats/config.h"

namespace hkv::model {

class Rope {
 public:
  explicit Rope(const LlamaConfig& config);

  // Rotates `num_heads` rows of head_dim at `position`, in place:
  // x[i] = x[i]*cos - x[i+half]*sin ; x[i+half] = x[i+half]*cos + x[i]*sin.
  void apply(float* rows,  // [num_heads, head_dim]
             int num_heads,
             int64_t position) const;

  const std::vector<float>& inv_freq() const { return inv_freq_; }

 private:
  int head_dim_;
  std::vector<float> inv_freq_;  // [head_dim / 2], float32 as HF computes it
};

}  // namespace hkv::model
