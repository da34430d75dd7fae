// Host references, built on common/half.h (bit-exact with CUDA's _rn conversions).
#include "kernels/reference/reference_ops.h"

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
