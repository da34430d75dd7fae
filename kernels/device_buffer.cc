// Non-template parts of the CUDA RAII wrappers.
#include "kernels/device_buffer.h"

#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

namespace hkv::kernels {
namespace internal {

Status check_allocation_size(size_t count, size_t elem_size, const char* what) {
  if (elem_size != 0 && count > std::numeric_limits<size_t>::max() / elem_size) {
    return errorf(StatusCode::kInvalidArgument, "%s of %zu elements x %zu bytes overflows size_t",
                  what, count, elem_size);
  }
  return Status();
}

namespace {

// The current device's default memory pool, with its release threshold raised on first use (once
// per device): by default a pool gives every idle byte back to the device at each synchronisation,
// and the next allocation pays cudaMalloc's price again.
Result<cudaMemPool_t> default_pool() {
  static std::mutex mu;
  static std::vector<bool> configured;
  int device = 0;
  HKV_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  cudaMemPool_t pool = nullptr;
  HKV_CUDA_RETURN_IF_ERROR(cudaDeviceGetDefaultMemPool(&pool, device));
  std::lock_guard<std::mutex> lock(mu);
  if (configured.size() <= static_cast<size_t>(device)) {
    configured.resize(device + 1, false);
  }
  if (!configured[device]) {
    size_t free_bytes = 0, total_bytes = 0;
    HKV_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(&free_bytes, &total_bytes));
    uint64_t keep = total_bytes / 8;
    HKV_CUDA_RETURN_IF_ERROR(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
    configured[device] = true;
  }
  return pool;
}

// Gives the pool's idle memory back to the device after the device has finished every freed
// buffer's work (cudaMemPoolTrimTo keeps what pending frees still need).
void trim_pool() {
  int device = 0;
  cudaMemPool_t pool = nullptr;
  if (cudaGetDevice(&device) == cudaSuccess &&
      cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) {
    HKV_CUDA_LOG_IF_ERROR(cudaDeviceSynchronize());
    HKV_CUDA_LOG_IF_ERROR(cudaMemPoolTrimTo(pool, 0));
  }
  cudaGetLastError();  // clear the out-of-memory error of the first try
}

}  // namespace

Result<void*> device_allocate(size_t bytes) {
  void* ptr = nullptr;
  if (cudaMalloc(&ptr, bytes) == cudaSuccess) {
    return ptr;
  }
  trim_pool();
  HKV_CUDA_RETURN_IF_ERROR(cudaMalloc(&ptr, bytes));
  return ptr;
}

Result<void*> pool_allocate(size_t bytes, cudaStream_t stream) {
  HKV_ASSIGN_OR_RETURN(cudaMemPool_t pool, default_pool());
  void* ptr = nullptr;
  if (cudaMallocFromPoolAsync(&ptr, bytes, pool, stream) == cudaSuccess) {
    return ptr;
  }
  trim_pool();
  HKV_CUDA_RETURN_IF_ERROR(cudaMallocFromPoolAsync(&ptr, bytes, pool, stream));
  return ptr;
}

}  // namespace internal

size_t pool_idle_bytes() {
  int device = 0;
  cudaMemPool_t pool = nullptr;
  uint64_t reserved = 0, used = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetDefaultMemPool(&pool, device) != cudaSuccess ||
      cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &reserved) != cudaSuccess ||
      cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &used) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return reserved > used ? static_cast<size_t>(reserved - used) : 0;
}

Result<CudaStream> CudaStream::create() {
  CudaStream s;
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&s.stream_, cudaStreamNonBlocking));
  return s;
}

CudaStream& CudaStream::operator=(CudaStream&& o) noexcept {
  if (this != &o) {
    if (stream_ != nullptr) {
      HKV_CUDA_LOG_IF_ERROR(cudaStreamDestroy(stream_));
    }
    stream_ = std::exchange(o.stream_, nullptr);
  }
  return *this;
}

CudaStream::~CudaStream() {
  if (stream_ != nullptr) {
    HKV_CUDA_LOG_IF_ERROR(cudaStreamDestroy(stream_));
  }
}

Status CudaStream::synchronize() const {
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  return Status();
}

Result<CudaEvent> CudaEvent::create() {
  CudaEvent e;
  HKV_CUDA_RETURN_IF_ERROR(cudaEventCreate(&e.event_));
  return e;
}

CudaEvent& CudaEvent::operator=(CudaEvent&& o) noexcept {
  if (this != &o) {
    if (event_ != nullptr) {
      HKV_CUDA_LOG_IF_ERROR(cudaEventDestroy(event_));
    }
    event_ = std::exchange(o.event_, nullptr);
  }
  return *this;
}

CudaEvent::~CudaEvent() {
  if (event_ != nullptr) {
    HKV_CUDA_LOG_IF_ERROR(cudaEventDestroy(event_));
  }
}

Status CudaEvent::record(cudaStream_t stream) {
  HKV_CUDA_RETURN_IF_ERROR(cudaEventRecord(event_, stream));
  return Status();
}

Status CudaEvent::synchronize() const {
  HKV_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(event_));
  return Status();
}

Result<float> CudaEvent::elapsed_ms_since(const CudaEvent& start) const {
  float ms = 0.0f;
  HKV_CUDA_RETURN_IF_ERROR(cudaEventElapsedTime(&ms, start.event_, event_));
  return ms;
}

}  // namespace hkv::kernels
