// Helpers for device tests: skip cleanly (GTEST_SKIP) when this machine has no usable GPU.
#pragma once

#include <gtest/gtest.h>

#include "kernels/device_info.h"

namespace hkv::testing {

inline bool have_gpu() {
  return kernels::cuda_availability().device_count > 0;
}

}  // namespace hkv::testing

#define HKV_SKIP_IF_NO_GPU()                                          \
  do {                                                                \
    auto hkv_avail = ::hkv::kernels::cuda_availability();             \
    if (hkv_avail.device_count == 0) {                                \
      GTEST_SKIP() << "no GPU on this machine: " << hkv_avail.reason; \
    }                                                                 \
  } while (0)
