// The live GPU busy meter (NVML through dlopen) on a GPU host: while the GPU copies memory
// without pause for over a second, the share it reports is high; it is never outside [0, 1].
#include "tests/testing/gpu.h"

#include <chrono>

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "kernels/device_buffer.h"
#include "model/gpu_utilization.h"

namespace hkv::model {
namespace {

TEST(GpuUtilizationGpuTest, ReportsABusyGpuAsBusy) {
  HKV_SKIP_IF_NO_GPU();
  auto meter = GpuUtilization::open("cuda:0");
  ASSERT_TRUE(meter.ok()) << meter.status().to_string();  // GPU hosts have the driver's NVML
  auto a = kernels::DeviceBuffer<uint8_t>::allocate(512u << 20);
  auto b = kernels::DeviceBuffer<uint8_t>::allocate(512u << 20);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(cudaMemcpyAsync(b->data(), a->data(), a->size(), cudaMemcpyDeviceToDevice),
                cudaSuccess);
    }
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  }
  std::optional<double> busy = (*meter)->take_fraction();
  ASSERT_TRUE(busy.has_value()) << "no utilization sample in 2.5 s";
  EXPECT_GE(*busy, 0.5);
  EXPECT_LE(*busy, 1.0);
}

}  // namespace
}  // namespace hkv::model
