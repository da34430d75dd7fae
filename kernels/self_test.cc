// Device self-test used by `headkv doctor` and the GPU smoke test.
#include "kernels/self_test.h"

#include <cstring>
#include <random>
#include <vector>

#include "kernels/convert.h"
#include "kernels/device_buffer.h"
#include "kernels/reference/reference_ops.h"

namespace hkv::kernels {

Status run_device_self_test(int ordinal) {
  HKV_CUDA_RETURN_IF_ERROR(cudaSetDevice(ordinal));
  constexpr int64_t kN = 1 << 16;
  std::vector<float> host(kN);
  std::mt19937 rng(1234);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  for (auto& v : host) {
    v = dist(rng);
  }
  host[0] = 65519.0f;  // rounds to f16 max
  host[1] = 1e-8f;     // f16 subnormal range
  std::vector<uint8_t> host_bytes(kN * sizeof(float));
  std::memcpy(host_bytes.data(), host.data(), host_bytes.size());

  HKV_ASSIGN_OR_RETURN(CudaStream stream, CudaStream::create());
  HKV_ASSIGN_OR_RETURN(DeviceBuffer<float> in, DeviceBuffer<float>::allocate(kN));
  HKV_ASSIGN_OR_RETURN(DeviceBuffer<uint16_t> out, DeviceBuffer<uint16_t>::allocate(kN));
  HKV_RETURN_IF_ERROR(in.copy_from_host(host.data(), stream.get()));
  for (DType dtype : {DType::kBf16, DType::kF16}) {
    ConvertParams params{out.data(), in.data(), kN, DType::kF32, dtype};
    HKV_RETURN_IF_ERROR(launch_convert(params, stream.get()));
    std::vector<uint8_t> got(kN * sizeof(uint16_t));
    HKV_RETURN_IF_ERROR(out.copy_to_host(reinterpret_cast<uint16_t*>(got.data()), stream.get()));
    HKV_RETURN_IF_ERROR(stream.synchronize());
    std::vector<uint8_t> want = reference::convert(host_bytes, kN, DType::kF32, dtype);
    if (got != want) {
      for (int64_t i = 0; i < kN; ++i) {
        uint16_t g, w;
        std::memcpy(&g, got.data() + i * 2, 2);
        std::memcpy(&w, want.data() + i * 2, 2);
        if (g != w) {
          return errorf(StatusCode::kInternal,
                        "device %d self-test: convert f32->%s element %lld of %.9g: device 0x%04x, "
                        "host reference 0x%04x",
                        ordinal, dtype_name(dtype), static_cast<long long>(i), host[i], g, w);
        }
      }
    }
  }
  return Status();
}

}  // namespace hkv::kernels
