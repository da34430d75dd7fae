// GpuUtilization: NVML loaded with dlopen. The few entry points used are declared here from NVML's
// documented C ABI (nvml.h is not part of the CUDA toolkit this project builds with): return code
// 0 = NVML_SUCCESS (6, NVML_ERROR_NOT_FOUND: no sample yet); nvmlDevice_t is an opaque pointer;
// nvmlSample_t is {unsigned long long timeStamp; 8-byte value union}; sampling type 1 =
// NVML_GPU_UTILIZATION_SAMPLES, whose values are unsigned ints (value type 1) in percent.
#include "model/gpu_utilization.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <vector>

#if HKV_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace hkv::model {
namespace {

using NvmlReturn = int;
using NvmlDevice = void*;

union NvmlValue {
  double d;
  unsigned int ui;
  unsigned long ul;
  unsigned long long ull;
  long long sll;
};

struct NvmlSample {
  unsigned long long timestamp;
  NvmlValue value;
};

constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kGpuUtilizationSamples = 1;

enum NvmlValueType { kDouble = 0, kUInt = 1, kULong = 2, kULongLong = 3, kSLongLong = 4 };

}  // namespace

std::optional<double> busy_share(std::span<const UtilizationSample> samples,
                                 uint64_t after_us,
                                 uint64_t* newest_us,
                                 int64_t* counted) {
  double sum = 0.0;
  int64_t n = 0;
  for (const UtilizationSample& s : samples) {
    if (s.timestamp_us <= after_us) {
      continue;
    }
    sum += std::min<uint32_t>(s.percent, 100);
    ++n;
    *newest_us = std::max(*newest_us, s.timestamp_us);
  }
  if (counted != nullptr) {
    *counted = n;
  }
  if (n == 0) {
    return std::nullopt;
  }
  return sum / (100.0 * static_cast<double>(n));
}

struct GpuUtilization::Nvml {
  void* lib = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  NvmlReturn (*get_samples)(NvmlDevice, int, unsigned long long, int*, unsigned int*, NvmlSample*) =
      nullptr;
  NvmlDevice device = nullptr;
  bool initialised = false;

  ~Nvml() {
    if (initialised) {
      shutdown();
    }
    if (lib != nullptr) {
      dlclose(lib);
    }
  }
};

Result<std::unique_ptr<GpuUtilization>> GpuUtilization::open(const std::string& device) {
#if HKV_HAVE_CUDA
  if (device.rfind("cuda", 0) != 0) {
    return errorf(StatusCode::kUnavailable, "GPU utilization of '%s': not a cuda device",
                  device.c_str());
  }
  const int index = device.size() > 5 ? std::atoi(device.c_str() + 5) : 0;
  char bus_id[32] = {};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), index) != cudaSuccess) {
    cudaGetLastError();
    return errorf(StatusCode::kUnavailable, "GPU utilization of '%s': no such CUDA device",
                  device.c_str());
  }
  auto nvml = std::make_unique<Nvml>();
  nvml->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (nvml->lib == nullptr) {
    return errorf(StatusCode::kUnavailable, "GPU utilization: cannot load libnvidia-ml.so.1 (%s)",
                  dlerror());
  }
  auto init = reinterpret_cast<NvmlReturn (*)()>(dlsym(nvml->lib, "nvmlInit_v2"));
  auto by_bus = reinterpret_cast<NvmlReturn (*)(const char*, NvmlDevice*)>(
      dlsym(nvml->lib, "nvmlDeviceGetHandleByPciBusId_v2"));
  nvml->shutdown = reinterpret_cast<NvmlReturn (*)()>(dlsym(nvml->lib, "nvmlShutdown"));
  nvml->get_samples =
      reinterpret_cast<decltype(nvml->get_samples)>(dlsym(nvml->lib, "nvmlDeviceGetSamples"));
  if (init == nullptr || by_bus == nullptr || nvml->shutdown == nullptr ||
      nvml->get_samples == nullptr) {
    return errorf(StatusCode::kUnavailable,
                  "GPU utilization: libnvidia-ml.so.1 lacks an entry "
                  "point (nvmlInit_v2, nvmlDeviceGetHandleByPciBusId_v2, nvmlDeviceGetSamples)");
  }
  if (NvmlReturn r = init(); r != kNvmlSuccess) {
    return errorf(StatusCode::kUnavailable, "GPU utilization: nvmlInit_v2 returned %d", r);
  }
  nvml->initialised = true;
  if (NvmlReturn r = by_bus(bus_id, &nvml->device); r != kNvmlSuccess) {
    return errorf(StatusCode::kUnavailable,
                  "GPU utilization of '%s': NVML has no device at PCI bus %s (error %d)",
                  device.c_str(), bus_id, r);
  }
  std::unique_ptr<GpuUtilization> meter(new GpuUtilization(std::move(nvml)));
  (void)meter->take_fraction();  // start the first period now
  meter->counted_sum_ = 0.0;     // ... and the run's figure
  meter->counted_ = 0;
  return meter;
#else
  return errorf(StatusCode::kUnavailable,
                "GPU utilization of '%s': this headkv was built without CUDA", device.c_str());
#endif
}

GpuUtilization::GpuUtilization(std::unique_ptr<Nvml> nvml) : nvml_(std::move(nvml)) {}

GpuUtilization::~GpuUtilization() = default;

std::optional<double> GpuUtilization::take_fraction() {
  int type = 0;
  unsigned int count = 0;
  NvmlReturn r =
      nvml_->get_samples(nvml_->device, kGpuUtilizationSamples, last_us_, &type, &count, nullptr);
  if (r != kNvmlSuccess || count == 0) {
    return std::nullopt;  // kNvmlNotFound (6): no sample since last_us_
  }
  std::vector<NvmlSample> raw(count);
  r = nvml_->get_samples(nvml_->device, kGpuUtilizationSamples, last_us_, &type, &count,
                         raw.data());
  if (r != kNvmlSuccess) {
    return std::nullopt;
  }
  std::vector<UtilizationSample> samples;
  samples.reserve(count);
  for (unsigned int i = 0; i < count && i < raw.size(); ++i) {
    const NvmlValue& v = raw[i].value;
    double percent = 0.0;
    switch (type) {
      case kUInt:
        percent = v.ui;
        break;
      case kULong:
        percent = static_cast<double>(v.ul);
        break;
      case kULongLong:
        percent = static_cast<double>(v.ull);
        break;
      case kSLongLong:
        percent = static_cast<double>(std::max(0LL, v.sll));
        break;
      case kDouble:
        percent = std::max(0.0, v.d);
        break;
      default:
        return std::nullopt;
    }
    samples.push_back({raw[i].timestamp, static_cast<uint32_t>(std::min(percent, 100.0))});
  }
  int64_t fresh = 0;
  std::optional<double> share = busy_share(samples, last_us_, &last_us_, &fresh);
  if (share) {
    counted_sum_ += *share * static_cast<double>(fresh);
    counted_ += fresh;
  }
  return share;
}

std::optional<double> GpuUtilization::overall_fraction() const {
  if (counted_ == 0) {
    return std::nullopt;
  }
  return counted_sum_ / static_cast<double>(counted_);
}

}  // namespace hkv::model
