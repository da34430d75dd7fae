// The doctor report. Each section is one function that prints "label: value" lines.
#include "cli/doctor.h"

#include <cstdio>
#include <fstream>
#include <sqlite3.h>
#include <string>
#include <thread>
#include <unistd.h>

#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>

#include "cli/build_info.h"
#include "cli/doctor_data.h"
#include "common/mapped_file.h"
#include "common/paths.h"
#include "common/strings.h"
#include "cpu_engine/cpu_blas.h"
#include "model/gpu_utilization.h"
#ifdef HKV_HAVE_CUDA
#include "kernels/device_info.h"
#include "kernels/self_test.h"
#endif

namespace hkv::cli {
namespace {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (starts_with(line, "model name")) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        return std::string(trim(std::string_view(line).substr(colon + 1)));
      }
    }
  }
  return "unknown CPU";
}

uint64_t total_memory_bytes() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

void print_build() {
  std::printf("build:     %s, C++20, %s\n", HKV_CXX_COMPILER, HKV_BUILD_TYPE);
#ifdef HKV_HAVE_CUDA
  std::printf("cuda:      compiled (%s, archs %s)\n", HKV_CUDA_COMPILER, HKV_CUDA_ARCHS);
#else
  std::printf("cuda:      not compiled (CPU engine only)\n");
#endif
  std::printf("libraries: gRPC %s, protobuf %s, SQLite %s\n", grpc::Version().c_str(),
              google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION).c_str(),
              sqlite3_libversion());
}

void print_cpu() {
  std::printf("cpu:       %s, %u hardware threads, %s RAM\n", cpu_model_name().c_str(),
              std::thread::hardware_concurrency(), format_bytes(total_memory_bytes()).c_str());
  std::printf("blas:      %s\n", model::blas_description().c_str());
}

// Returns false when a device failed its self-test.
bool print_gpus(const DoctorOptions& options) {
#ifdef HKV_HAVE_CUDA
  kernels::CudaAvailability avail = kernels::cuda_availability();
  if (avail.device_count == 0) {
    std::printf("gpu:       no GPU (%s)\n", avail.reason.c_str());
    return true;
  }
  std::printf("gpu:       %d device(s), driver %d.%d, runtime %d.%d\n", avail.device_count,
              avail.driver_version / 1000, (avail.driver_version % 1000) / 10,
              avail.runtime_version / 1000, (avail.runtime_version % 1000) / 10);
  bool all_ok = true;
  for (int i = 0; i < avail.device_count; ++i) {
    auto info = kernels::DeviceInfo::query(i);
    if (!info.ok()) {
      std::printf("  cuda:%d   query failed: %s\n", i, info.status().to_string().c_str());
      all_ok = false;
      continue;
    }
    std::printf("  cuda:%d   %s, %s (%s free), compute capability %d.%d, %d SMs, L2 %s, bus %s\n",
                i, info->name.c_str(), format_bytes(info->total_memory_bytes).c_str(),
                format_bytes(info->free_memory_bytes).c_str(), info->compute_major,
                info->compute_minor, info->sm_count, format_bytes(info->l2_cache_bytes).c_str(),
                info->pci_bus_id.c_str());
    auto meter = model::GpuUtilization::open(strformat("cuda:%d", i));
    std::printf(
        "           busy share for heartbeats: %s\n",
        meter.ok() ? "the driver's utilization samples (NVML)" : meter.status().message().c_str());
    if (!options.skip_self_test) {
      Status st = kernels::run_device_self_test(i);
      std::printf("           self-test (f32->bf16/f16 convert vs host reference): %s\n",
                  st.ok() ? "ok" : st.to_string().c_str());
      all_ok = all_ok && st.ok();
    }
  }
  return all_ok;
#else
  (void)options;
  std::printf("gpu:       no GPU support in this build\n");
  return true;
#endif
}

void print_assets() {
  std::printf("cache:     %s\n", cache_dir().c_str());
  std::string model = default_model_path();
  auto mapped = MappedFile::open(model);
  if (mapped.ok()) {
    std::printf("  default model: present, %s (%s)\n", model.c_str(),
                format_bytes(mapped->size()).c_str());
  } else {
    std::printf("  default model: missing (%s); run scripts/fetch-assets.sh\n", model.c_str());
  }
}

}  // namespace

std::string version_line() {
  return strformat("headkv %s (commit %s, %s)", HKV_VERSION_STRING, HKV_GIT_COMMIT, HKV_BUILD_TYPE);
}

int run_doctor(const DoctorOptions& options) {
  std::printf("%s\n", version_line().c_str());
  print_build();
  print_cpu();
  bool gpus_ok = print_gpus(options);
  print_assets();
  bool data_ok = print_data_report(options.data_dir);
  return gpus_ok && data_ok ? 0 : 1;
}

}  // namespace hkv::cli
