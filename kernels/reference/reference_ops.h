// float32 host references for the device kernels; used by tests and tools only.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cuda_utils.h"

namespace hkv::kernels::reference {

// Reference for launch_convert: `in` holds num_elements values of in_dtype (raw bytes), the
// result holds them as out_dtype (raw bytes), rounded to nearest even.
std::vector<uint8_t> convert(const std::vector<uint8_t>& in,
                             int64_t num_elements,
                             DType in_dtype,
                             DType out_dtype);

}  // namespace hkv::kernels::reference
