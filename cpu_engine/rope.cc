// Frequencies follow transformers' rope init functions (default, linear, llama3): inv_freq in
// float32; angles = float32(position) * inv_freq in float32; cos/sin evaluated in float32.
#include "cpu_engine/rope.h"

#include <cmath>

namespace hkv::model {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

Rope::Rope(const LlamaConfig& c) : head_dim_(c.head_dim) {
  int half = c.head_dim / 2;
  inv_freq_.resize(half);
  for (int i = 0; i < half; ++i) {
    float exponent = static_cast<float>(2 * i) / static_cast<float>(c.head_dim);
    inv_freq_[i] = 1.0f / std::pow(static_cast<float>(c.rope_theta), exponent);
  }
  const RopeScaling& s = c.rope_scaling;
  if (s.type == RopeScalingType::kLinear) {
    for (float& f : inv_freq_) {
      f = f / static_cast<float>(s.factor);
    }
  } else if (s.type == RopeScalingType::kLlama3) {
    double old_len = static_cast<double>(s.original_max_position_embeddings);
    double low_wavelen = old_len / s.low_freq_factor;
    double high_wavelen = old_len / s.high_freq_factor;
    for (float& f : inv_freq_) {
      double wavelen = 2.0 * kPi / f;
      double scaled = wavelen > low_wavelen ? f / s.factor : f;
      if (!(wavelen < high_wavelen) && !(wavelen > low_wavelen)) {
        double smooth =
            (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        scaled = (1.0 - smooth) * scaled / s.factor + smooth * scaled;
      }
      f = static_cast<float>(scaled);
    }
  }
}

void Rope::apply(float* rows, int num_heads, int64_t position) const {
  int half = head_dim_ / 2;
  float pos = static_cast<float>(position);
  for (int i = 0; i < half; ++i) {
    float angle = pos * inv_freq_[i];
    float c = std::cos(angle);
    float s = std::sin(angle);
    for (int h = 0; h < num_heads; ++h) {
      float* x = rows + static_cast<int64_t>(h) * head_dim_;
      float a = x[i];
      float b = x[i + half];
      x[i] = a * c - b * s;
      x[i + half] = b * c + a * s;
    }
  }
}

}  // namespace hkv::model
