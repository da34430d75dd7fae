// The share of time a GPU ran kernels, from the driver's own utilization samples (NVML's
// GPU-utilization samples: the `sm` column of `nvidia-smi dmon`), which a worker reports with each
// heartbeat beside its task-time busy share. NVML ships with the driver (libnvidia-ml.so.1) and is
// loaded at run time, so builds and CPU hosts need nothing; where it is missing the meter is
// unavailable and workers report no GPU busy share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/status.h"

namespace hkv::model {

// One driver sample: when (µs) and the percentage of the sampling interval a kernel ran.
struct UtilizationSample {
  uint64_t timestamp_us = 0;
  uint32_t percent = 0;
};

// The busy share of samples newer than `after_us`, in [0, 1] (the mean of their percentages,
// capped at 100); nullopt when there is none. Sets *newest_us to the newest timestamp seen
// (unchanged when none is newer) and, if given, *counted to the number of samples used.
std::optional<double> busy_share(std::span<const UtilizationSample> samples,
                                 uint64_t after_us,
                                 uint64_t* newest_us,
                                 int64_t* counted = nullptr);

class GpuUtilization {
 public:
  // The meter of `device` ("cuda:N", the CUDA ordinal as this process sees it; a tensor-parallel
  // group "cuda:A-B" is measured on its first GPU, A); Unavailable when
  // the build has no CUDA, the device is not a GPU, or NVML cannot be loaded or find the device.
  static Result<std::unique_ptr<GpuUtilization>> open(const std::string& device);
  ~GpuUtilization();
  GpuUtilization(const GpuUtilization&) = delete;
  GpuUtilization& operator=(const GpuUtilization&) = delete;

  // The GPU's busy share since the previous call (or open); nullopt when the driver has taken no
  // sample since (it samples every 1/6 to 1 s) or a query fails.
  std::optional<double> take_fraction();

  // The busy share over every sample take_fraction() has counted since open (a run's figure);
  // nullopt before the first. Call from the thread that calls take_fraction, or after it stopped.
  std::optional<double> overall_fraction() const;

 private:
  struct Nvml;
  explicit GpuUtilization(std::unique_ptr<Nvml> nvml);
  std::unique_ptr<Nvml> nvml_;
  uint64_t last_us_ = 0;      // newest sample timestamp already counted
  double counted_sum_ = 0.0;  // sum of the counted samples' shares
  int64_t counted_ = 0;       // samples counted
};

}  // namespace hkv::model
