// Host references, built on common/half.h (bit-exact with CUDA's _rn conversions).
#include "kernels/reference/reference_ops.h"

#include <cmath>
#include <cstring>

#include "common/half.h"

namespace hkv::kernels::reference {
namespace {

float load(const uint8_t* base, int64_t i, DType dtype) {
  if (dtype == DType::kF32) {
    float v;
    std::memcpy(&v, base + i * 4, 4);
    return v;
  }
  uint16_t h;
  std::memcpy(&h, base + i * 2, 2);
  return dtype == DType::kF16 ? f16_to_float(h) : bf16_to_float(h);
}

void store(uint8_t* base, int64_t i, DType dtype, float v) {
  if (dtype == DType::kF32) {
    std::memcpy(base + i * 4, &v, 4);
    return;
  }
  uint16_t h = dtype == DType::kF16 ? float_to_f16(v) : float_to_bf16(v);
  std::memcpy(base + i * 2, &h, 2);
}

}  // namespace

std::vector<uint8_t> convert(const std::vector<uint8_t>& in,
                             int64_t num_elements,
                             DType in_dtype,
                             DType out_dtype) {
  HKV_CHECK(in.size() == static_cast<size_t>(num_elements) * dtype_size(in_dtype))
      << "reference::convert: " << in.size() << " input bytes for " << num_elements << " elements";
  std::vector<uint8_t> out(static_cast<size_t>(num_elements) * dtype_size(out_dtype));
  for (int64_t i = 0; i < num_elements; ++i) {
    store(out.data(), i, out_dtype, load(in.data(), i, in_dtype));
  }
  return out;
}

}  // namespace hkv::kernels::reference

namespace hkv::kernels::reference {

float round_to(float v, DType dtype) {
  switch (dtype) {
    case DType::kF16:
      return f16_to_float(float_to_f16(v));
    case DType::kBf16:
      return bf16_to_float(float_to_bf16(v));
    default:
      return v;
  }
}

void round_all(std::vector<float>& values, DType dtype) {
  for (float& v : values) {
    v = round_to(v, dtype);
  }
}

std::vector<float> rms_norm(const std::vector<float>& x,
                            std::vector<float>* residual,
                            const std::vector<float>& weight,
                            int64_t num_rows,
                            int32_t hidden,
                            float eps,
                            DType dtype) {
  const size_t n = static_cast<size_t>(num_rows) * hidden;
  HKV_CHECK(x.size() == n && weight.size() == static_cast<size_t>(hidden) &&
            (residual == nullptr || residual->size() == n))
      << "reference::rms_norm: sizes x=" << x.size() << " weight=" << weight.size() << " for "
      << num_rows << "x" << hidden;
  std::vector<float> out(n);
  for (int64_t r = 0; r < num_rows; ++r) {
    const size_t base = static_cast<size_t>(r) * hidden;
    std::vector<float> h(x.begin() + base, x.begin() + base + hidden);
    if (residual != nullptr) {
      for (int32_t i = 0; i < hidden; ++i) {
        h[i] = round_to(h[i] + (*residual)[base + i], dtype);
        (*residual)[base + i] = h[i];
      }
    }
    double sum_sq = 0.0;
    for (float v : h) {
      sum_sq += static_cast<double>(v) * v;
    }
    const double inv_rms = 1.0 / std::sqrt(sum_sq / hidden + static_cast<double>(eps));
    for (int32_t i = 0; i < hidden; ++i) {
      const float normed = round_to(static_cast<float>(h[i] * inv_rms), dtype);
      out[base + i] = round_to(weight[i] * normed, dtype);
    }
  }
  return out;
}

void rope(std::vector<float>& x,
          const std::vector<int64_t>& positions,
          const std::vector<float>& inv_freq,
          int64_t num_tokens,
          int32_t num_heads,
          int32_t head_dim,
          DType dtype) {
  const int32_t half = head_dim / 2;
  HKV_CHECK(x.size() == static_cast<size_t>(num_tokens) * num_heads * head_dim &&
            positions.size() == static_cast<size_t>(num_tokens) &&
            inv_freq.size() == static_cast<size_t>(half))
      << "reference::rope: sizes do not match " << num_tokens << "x" << num_heads << "x"
      << head_dim;
  for (int64_t t = 0; t < num_tokens; ++t) {
    for (int32_t h = 0; h < num_heads; ++h) {
      float* row = x.data() + (t * num_heads + h) * head_dim;
      for (int32_t i = 0; i < half; ++i) {
        const float freq = static_cast<float>(positions[t]) * inv_freq[i];
        const float c = round_to(std::cos(freq), dtype);
        const float s = round_to(std::sin(freq), dtype);
        const float x1 = row[i];
        const float x2 = row[i + half];
        row[i] = round_to(round_to(x1 * c, dtype) + round_to(-x2 * s, dtype), dtype);
        row[i + half] = round_to(round_to(x2 * c, dtype) + round_to(x1 * s, dtype), dtype);
      }
    }
  }
}

std::vector<float> silu_mul(const std::vector<float>& gate,
                            const std::vector<float>& up,
                            DType dtype) {
  HKV_CHECK(gate.size() == up.size())
      << "reference::silu_mul: gate " << gate.size() << " vs up " << up.size();
  std::vector<float> out(gate.size());
  for (size_t i = 0; i < gate.size(); ++i) {
    const float g = gate[i];
    const float silu = round_to(g / (1.0f + std::exp(-g)), dtype);
    out[i] = round_to(silu * up[i], dtype);
  }
  return out;
}

std::vector<int32_t> argmax(const std::vector<float>& logits, int64_t num_rows, int64_t vocab) {
  HKV_CHECK(logits.size() == static_cast<size_t>(num_rows * vocab))
      << "reference::argmax: " << logits.size() << " logits for " << num_rows << "x" << vocab;
  std::vector<int32_t> out(num_rows);
  for (int64_t r = 0; r < num_rows; ++r) {
    const float* row = logits.data() + r * vocab;
    int64_t best = 0;
    for (int64_t i = 1; i < vocab; ++i) {
      const bool best_nan = std::isnan(row[best]);
      if (!best_nan && (std::isnan(row[i]) || row[i] > row[best])) {
        best = i;
      }
    }
    out[r] = static_cast<int32_t>(best);
  }
  return out;
}

}  // namespace hkv::kernels::reference
