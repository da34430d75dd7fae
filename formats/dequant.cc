// Block decoders. Each follows the arithmetic order of gguf-py's numpy code (products of float32
// factors, in the same association) so the results are bit-identical to it.
#include "formats/dequant.h"

#include <cstring>

#include "common/half.h"

namespace hkv::model {
namespace {

constexpr int kQK = 32;    // elements per block of the legacy quants
constexpr int kQKK = 256;  // elements per K-quant super-block

float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_float(h);
}

void dequant_q4_0(const uint8_t* b, float* y) {  // d, qs[16]
  float d = load_f16(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>(static_cast<int>(qs[j] & 0x0F) - 8);
    y[j + kQK / 2] = d * static_cast<float>(static_cast<int>(qs[j] >> 4) - 8);
  }
}

void dequant_q4_1(const uint8_t* b, float* y) {  // d, m, qs[16]
  float d = load_f16(b);
  float m = load_f16(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = d * static_cast<float>(qs[j] & 0x0F) + m;
    y[j + kQK / 2] = d * static_cast<float>(qs[j] >> 4) + m;
  }
}

void dequant_q5_0(const uint8_t* b, float* y) {  // d, qh (u32), qs[16]
  float d = load_f16(b);
  uint32_t qh;
  std::memcpy(&qh, b + 2, 4);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < kQK / 2; ++j) {
    int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo - 16);
    y[j + kQK / 2] = d * static_cast<float>(hi - 16);
  }
}

void dequant_q5_1(const uint8_t* b, float* y) {  // d, m, qh (u32), qs[16]
  float d = load_f16(b);
  float m = load_f16(b + 2);
  uint32_t qh;
  std::memcpy(&qh, b + 4, 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < kQK / 2; ++j) {
    int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo) + m;
    y[j + kQK / 2] = d * static_cast<float>(hi) + m;
  }
}

void dequant_q8_0(const uint8_t* b, float* y) {  // d, qs[32] int8
  float d = load_f16(b);
  for (int j = 0; j < kQK; ++j) {
    y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
  }
}

// The 12-byte packed 6-bit scales and mins of Q4_K / Q5_K.
void k_scale_min(const uint8_t* q, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void dequant_q4_k(const uint8_t* b, float* y) {  // d, dmin, scales[12], qs[128]
  float d = load_f16(b);
  float dmin = load_f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* q = b + 16;
  for (int j = 0, is = 0; j < kQKK; j += 64, is += 2, q += 32) {
    int sc, m;
    k_scale_min(scales, is, &sc, &m);
    float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    k_scale_min(scales, is + 1, &sc, &m);
    float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l) {
      *y++ = d1 * static_cast<float>(q[l] & 0x0F) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void dequant_q5_k(const uint8_t* b, float* y) {  // d, dmin, scales[12], qh[32], qs[128]
  float d = load_f16(b);
  float dmin = load_f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* ql = b + 48;
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < kQKK; j += 64, is += 2, ql += 32) {
    int sc, m;
    k_scale_min(scales, is, &sc, &m);
    float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    k_scale_min(scales, is + 1, &sc, &m);
    float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l) {
      *y++ = d1 * static_cast<float>((ql[l] & 0x0F) + ((qh[l] & u1) ? 16 : 0)) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
    u1 = static_cast<uint8_t>(u1 << 2);
    u2 = static_cast<uint8_t>(u2 << 2);
  }
}

void dequant_q6_k(const uint8_t* b, float* y) {  // ql[128], qh[64], scales[16] int8, d
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
  float d = load_f16(b + 208);
  for (int n = 0; n < kQKK; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l + 0] = (d * static_cast<float>(sc[is + 0])) * static_cast<float>(q1);
      y[l + 32] = (d * static_cast<float>(sc[is + 2])) * static_cast<float>(q2);
      y[l + 64] = (d * static_cast<float>(sc[is + 4])) * static_cast<float>(q3);
      y[l + 96] = (d * static_cast<float>(sc[is + 6])) * static_cast<float>(q4);
    }
  }
}

using BlockFn = void (*)(const uint8_t*, float*);

constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::kF32, "F32", 1, 4},        {GgmlType::kF16, "F16", 1, 2},
    {GgmlType::kBf16, "BF16", 1, 2},      {GgmlType::kQ4_0, "Q4_0", kQK, 18},
    {GgmlType::kQ4_1, "Q4_1", kQK, 20},   {GgmlType::kQ5_0, "Q5_0", kQK, 22},
    {GgmlType::kQ5_1, "Q5_1", kQK, 24},   {GgmlType::kQ8_0, "Q8_0", kQK, 34},
    {GgmlType::kQ4_K, "Q4_K", kQKK, 144}, {GgmlType::kQ5_K, "Q5_K", kQKK, 176},
    {GgmlType::kQ6_K, "Q6_K", kQKK, 210},
};

BlockFn block_fn(GgmlType type) {
  switch (type) {
    case GgmlType::kQ4_0:
      return dequant_q4_0;
    case GgmlType::kQ4_1:
      return dequant_q4_1;
    case GgmlType::kQ5_0:
      return dequant_q5_0;
    case GgmlType::kQ5_1:
      return dequant_q5_1;
    case GgmlType::kQ8_0:
      return dequant_q8_0;
    case GgmlType::kQ4_K:
      return dequant_q4_k;
    case GgmlType::kQ5_K:
      return dequant_q5_k;
    case GgmlType::kQ6_K:
      return dequant_q6_k;
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBf16:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

Result<GgmlTypeInfo> ggml_type_info(uint32_t type_id) {
  for (const GgmlTypeInfo& info : kTypes) {
    if (static_cast<uint32_t>(info.type) == type_id) {
      return info;
    }
  }
  return errorf(StatusCode::kUnimplemented,
                "GGML tensor type id %u is not supported (supported: F32, F16, BF16, Q4_0, Q4_1, "
                "Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)",
                type_id);
}

Result<uint64_t> ggml_tensor_bytes(const GgmlTypeInfo& info, uint64_t num_elements) {
  uint64_t block = static_cast<uint64_t>(info.block_elements);
  if (num_elements % block != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "%llu elements is not a whole number of %s blocks of %llu",
                  static_cast<unsigned long long>(num_elements), info.name,
                  static_cast<unsigned long long>(block));
  }
  return num_elements / block * static_cast<uint64_t>(info.block_bytes);
}

Status dequantize(const GgmlTypeInfo& info,
                  std::span<const uint8_t> src,
                  int64_t num_elements,
                  float* dst) {
  HKV_ASSIGN_OR_RETURN(uint64_t want, ggml_tensor_bytes(info, static_cast<uint64_t>(num_elements)));
  if (src.size() != want) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s data of %zu bytes for %lld elements, expected %llu", info.name, src.size(),
                  static_cast<long long>(num_elements), static_cast<unsigned long long>(want));
  }
  const uint8_t* p = src.data();
  switch (info.type) {
    case GgmlType::kF32:
      std::memcpy(dst, p, src.size());
      return Status();
    case GgmlType::kF16:
      for (int64_t i = 0; i < num_elements; ++i) {
        dst[i] = load_f16(p + 2 * i);
      }
      return Status();
    case GgmlType::kBf16:
      for (int64_t i = 0; i < num_elements; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = bf16_to_float(h);
      }
      return Status();
    default:
      break;
  }
  BlockFn fn = block_fn(info.type);
  int64_t blocks = num_elements / info.block_elements;
  for (int64_t i = 0; i < blocks; ++i) {
    fn(p + i * info.block_bytes, dst + i * info.block_elements);
  }
  return Status();
}

}  // namespace hkv::model
