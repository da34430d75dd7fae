// The GPU busy share workers send with their heartbeats: the mean of the driver's utilization
// samples newer than the last one counted (model/gpu_utilization.h), and the meter's refusal where
// there is no GPU. The live NVML path: gpu_utilization_gpu_test.cc (label gpu).
#include "model/gpu_utilization.h"

#include <vector>

#include <gtest/gtest.h>

namespace hkv::model {
namespace {

TEST(GpuUtilizationTest, BusyShareAveragesTheNewSamples) {
  const std::vector<UtilizationSample> samples = {
      {100, 90}, {200, 10}, {300, 100}, {400, 40}, {350, 120}};
  uint64_t newest = 200;
  // 300: 100%, 400: 40%, 350: 120% capped at 100 -> mean 80%.
  EXPECT_DOUBLE_EQ(*busy_share(samples, 200, &newest), 0.8);
  EXPECT_EQ(newest, 400u);
  EXPECT_FALSE(busy_share(samples, 400, &newest).has_value());  // nothing newer
  EXPECT_EQ(newest, 400u);
  EXPECT_DOUBLE_EQ(*busy_share(samples, 0, &newest), (90 + 10 + 100 + 40 + 100) / 500.0);
  EXPECT_FALSE(busy_share({}, 0, &newest).has_value());
}

TEST(GpuUtilizationTest, CpuDevicesHaveNoMeter) {
  auto meter = GpuUtilization::open("cpu");
  ASSERT_FALSE(meter.ok());
  EXPECT_EQ(meter.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(meter.status().message().find("cpu"), std::string::npos) << meter.status().message();
}

}  // namespace
}  // namespace hkv::model
