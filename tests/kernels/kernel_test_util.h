// Shared helpers for the kernel tests: per-dtype tolerances with numpy isclose semantics
// (|a - b| <= atol + rtol * |b|), a comparison reporting the max error and the first mismatch,
// random inputs rounded to a dtype, and float <-> raw dtype bytes for device upload/download.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/half.h"
#include "kernels/cuda_utils.h"
#include "kernels/reference/reference_ops.h"

namespace hkv::kernels::testing {

struct Tolerance {
  double atol = 0.0;
  double rtol = 0.0;
};

// One place for the tolerances. The 16-bit ones allow about two output ulps: device and host
// may round an intermediate (fp32 order, expf/rsqrtf ulps) to the other side of a tie.
inline Tolerance tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::kF16:
      return {1e-4, 2e-3};
    case DType::kBf16:
      return {1e-3, 1.6e-2};
    default:
      return {1e-5, 1e-4};
  }
}

inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<float>& want,
                                            Tolerance tol) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << ", expected " << want.size();
  }
  double max_err = 0.0;
  int64_t first_bad = -1;
  int64_t num_bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double a = got[i];
    const double b = want[i];
    const bool both_nan = std::isnan(a) && std::isnan(b);
    const double err = std::fabs(a - b);
    if (!both_nan && !(a == b)) {
      max_err = std::max(max_err, std::isnan(err) ? INFINITY : err);
    }
    if (!both_nan && !(a == b) && !(err <= tol.atol + tol.rtol * std::fabs(b))) {
      if (first_bad < 0) {
        first_bad = static_cast<int64_t>(i);
      }
      ++num_bad;
    }
  }
  if (first_bad >= 0) {
    return ::testing::AssertionFailure()
           << num_bad << " of " << got.size() << " elements differ beyond atol=" << tol.atol
           << " rtol=" << tol.rtol << "; max error " << max_err << "; first mismatch at index "
           << first_bad << ": got " << got[first_bad] << ", expected " << want[first_bad];
  }
  return ::testing::AssertionSuccess() << "max error " << max_err;
}

// Normal(0, stddev) values rounded to dtype.
inline std::vector<float> random_values(size_t n, DType dtype, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) {
    x = reference::round_to(dist(rng), dtype);
  }
  return v;
}

inline std::vector<uint8_t> to_bytes(const std::vector<float>& values, DType dtype) {
  std::vector<uint8_t> raw(values.size() * dtype_size(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(raw.data() + 4 * i, &values[i], 4);
    } else {
      const uint16_t h = dtype == DType::kF16 ? float_to_f16(values[i]) : float_to_bf16(values[i]);
      std::memcpy(raw.data() + 2 * i, &h, 2);
    }
  }
  return raw;
}

inline std::vector<float> from_bytes(const std::vector<uint8_t>& raw, DType dtype) {
  const size_t n = raw.size() / dtype_size(dtype);
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(&values[i], raw.data() + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, raw.data() + 2 * i, 2);
      values[i] = dtype == DType::kF16 ? f16_to_float(h) : bf16_to_float(h);
    }
  }
  return values;
}

// Distance in units in the last place of a 16-bit dtype (monotone bit mapping), for exactness
// checks on scores.
inline int32_t ulp_distance(float a, float b, DType dtype) {
  auto ordered = [dtype](float v) {
    const uint16_t h = dtype == DType::kF16 ? float_to_f16(v) : float_to_bf16(v);
    return (h & 0x8000u) ? -static_cast<int32_t>(h & 0x7fffu) : static_cast<int32_t>(h);
  };
  return std::abs(ordered(a) - ordered(b));
}

// Prefix sums [0, a0, a0+a1, ...].
inline std::vector<int32_t> prefix_sums(const std::vector<int32_t>& counts) {
  std::vector<int32_t> cu(counts.size() + 1, 0);
  for (size_t i = 0; i < counts.size(); ++i) {
    cu[i + 1] = cu[i] + counts[i];
  }
  return cu;
}

inline std::string dtype_param_name(DType dtype) {
  return dtype_name(dtype);
}

}  // namespace hkv::kernels::testing
