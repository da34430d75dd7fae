// Device-side helpers for the kernel GPU tests: a stream per test and typed upload/download of
// float vectors as raw dtype bytes (or int32/int64 arrays). Every helper returns a Status.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/device_buffer.h"
#include "tests/kernels/kernel_test_util.h"

namespace hkv::kernels::testing {

// Uploads `values` as dtype; the buffer is sized exactly.
inline Result<DeviceBuffer<uint8_t>> upload(const std::vector<float>& values,
                                            DType dtype,
                                            cudaStream_t stream) {
  std::vector<uint8_t> raw = to_bytes(values, dtype);
  HKV_ASSIGN_OR_RETURN(auto buf, DeviceBuffer<uint8_t>::allocate(raw.size()));
  HKV_RETURN_IF_ERROR(buf.copy_from_host(raw.data(), stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));  // raw dies at return
  return buf;
}

template <typename T>
Result<DeviceBuffer<T>> upload_ints(const std::vector<T>& values, cudaStream_t stream) {
  HKV_ASSIGN_OR_RETURN(auto buf, DeviceBuffer<T>::allocate(values.size()));
  HKV_RETURN_IF_ERROR(buf.copy_from_host(values.data(), stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return buf;
}

inline Result<std::vector<float>> download(const DeviceBuffer<uint8_t>& buf,
                                           DType dtype,
                                           cudaStream_t stream) {
  std::vector<uint8_t> raw(buf.size());
  HKV_RETURN_IF_ERROR(buf.copy_to_host(raw.data(), stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return from_bytes(raw, dtype);
}

template <typename T>
Result<std::vector<T>> download_ints(const DeviceBuffer<T>& buf, cudaStream_t stream) {
  std::vector<T> out(buf.size());
  HKV_RETURN_IF_ERROR(buf.copy_to_host(out.data(), stream));
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return out;
}

}  // namespace hkv::kernels::testing

// ASSERT that a Result is ok and bind its value: HKV_ASSERT_OK_AND_ASSIGN(auto x, expr).
#define HKV_TEST_CONCAT_INNER(a, b) a##b
#define HKV_TEST_CONCAT(a, b)       HKV_TEST_CONCAT_INNER(a, b)
#define HKV_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  HKV_ASSERT_OK_AND_ASSIGN_IMPL(HKV_TEST_CONCAT(hkv_result_, __LINE__), lhs, expr)
#define HKV_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)                 \
  auto tmp = (expr);                                                  \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status().to_string(); \
  lhs = std::move(tmp).value()
#define HKV_ASSERT_OK(expr)                                                  \
  do {                                                                       \
    auto hkv_status = (expr);                                                \
    ASSERT_TRUE(hkv_status.ok()) << #expr << ": " << hkv_status.to_string(); \
  } while (0)
