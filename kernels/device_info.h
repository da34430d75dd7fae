// DeviceInfo: the properties of one CUDA device, queried once and passed to whoever needs SM count
// or shared-memory limits (no global cudaDeviceProp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"

namespace hkv::kernels {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  std::string pci_bus_id;
  int compute_major = 0;
  int compute_minor = 0;
  int sm_count = 0;
  size_t total_memory_bytes = 0;
  size_t free_memory_bytes = 0;
  size_t max_shared_memory_per_block_bytes = 0;  // opt-in limit
  int l2_cache_bytes = 0;

  static Result<DeviceInfo> query(int ordinal);
};

// Whether CUDA can be used here at all. A machine without a driver or a device is not an error:
// device_count is 0 and `reason` says why ("no CUDA driver", "no CUDA device").
struct CudaAvailability {
  int device_count = 0;
  int driver_version = 0;   // e.g. 13000, 0 when no driver
  int runtime_version = 0;  // the cudart this binary loaded
  std::string reason;
};

CudaAvailability cuda_availability();

// All visible devices, in ordinal order (empty without a device).
Result<std::vector<DeviceInfo>> query_all_devices();

}  // namespace hkv::kernels
