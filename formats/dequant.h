// GGML tensor types and their dequantization to float32, bit-exact with the `gguf` Python package
// (and ggml's reference dequantize_row_* on hosts without FMA contraction).
#pragma once

#include <cstdint>
#include <span>

#include "common/status.h"

namespace hkv::model {

// Values are GGML's type ids as stored in GGUF tensor infos.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kBf16 = 30,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;
  int64_t block_elements;  // elements per block (1 for plain float types)
  int64_t block_bytes;     // bytes per block
};

// The layout of a supported type id; Unimplemented (naming the id) for anything else.
Result<GgmlTypeInfo> ggml_type_info(uint32_t type_id);

// Bytes of `num_elements` elements of `info`; InvalidArgument when not a whole number of blocks.
Result<uint64_t> ggml_tensor_bytes(const GgmlTypeInfo& info, uint64_t num_elements);

// Dequantizes `num_elements` elements from `src` (exactly ggml_tensor_bytes() long) into `dst`.
Status dequantize(const GgmlTypeInfo& info,
                  std::span<const uint8_t> src,
                  int64_t num_elements,
                  float* dst);  // [num_elements]

}  // namespace hkv::model
