// cudaGetDeviceProperties wrapper; treats "no driver" / "no device" as zero devices.
#include "kernels/device_info.h"

#include <cuda_runtime_api.h>

#include "kernels/cuda_utils.h"

namespace hkv::kernels {

Result<DeviceInfo> DeviceInfo::query(int ordinal) {
  cudaDeviceProp prop{};
  HKV_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&prop, ordinal));
  DeviceInfo info;
  info.ordinal = ordinal;
  info.name = prop.name;
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.sm_count = prop.multiProcessorCount;
  info.total_memory_bytes = prop.totalGlobalMem;
  info.max_shared_memory_per_block_bytes = prop.sharedMemPerBlockOptin;
  info.l2_cache_bytes = prop.l2CacheSize;
  char bus_id[64] = {0};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), ordinal) == cudaSuccess) {
    info.pci_bus_id = bus_id;
  }
  int previous = 0;
  HKV_CUDA_RETURN_IF_ERROR(cudaGetDevice(&previous));
  HKV_CUDA_RETURN_IF_ERROR(cudaSetDevice(ordinal));
  size_t free_bytes = 0;
  size_t total_bytes = 0;
  cudaError_t mem = cudaMemGetInfo(&free_bytes, &total_bytes);
  HKV_CUDA_RETURN_IF_ERROR(cudaSetDevice(previous));
  HKV_CUDA_RETURN_IF_ERROR(mem);
  info.free_memory_bytes = free_bytes;
  return info;
}

CudaAvailability cuda_availability() {
  CudaAvailability out;
  cudaRuntimeGetVersion(&out.runtime_version);
  if (cudaDriverGetVersion(&out.driver_version) != cudaSuccess || out.driver_version == 0) {
    out.reason = "no CUDA driver";
    return out;
  }
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the non-sticky error
    out.reason = std::string("no usable CUDA device (") + cudaGetErrorString(e) + ")";
    return out;
  }
  out.device_count = count;
  if (count == 0) {
    out.reason = "no CUDA device";
  }
  return out;
}

Result<std::vector<DeviceInfo>> query_all_devices() {
  std::vector<DeviceInfo> devices;
  CudaAvailability avail = cuda_availability();
  for (int i = 0; i < avail.device_count; ++i) {
    HKV_ASSIGN_OR_RETURN(DeviceInfo info, DeviceInfo::query(i));
    devices.push_back(std::move(info));
  }
  return devices;
}

}  // namespace hkv::kernels
