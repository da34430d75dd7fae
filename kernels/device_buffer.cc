// Non-template parts of the CUDA RAII wrappers.
#include "kernels/device_buffer.h"

#include <limits>

namespace hkv::kernels {
namespace internal {

Status check_allocation_size(size_t count, size_t elem_size, const char* what) {
  if (elem_size != 0 && count > std::numeric_limits<size_t>::max() / elem_size) {
    return errorf(StatusCode::kInvalidArgument, "%s of %zu elements x %zu bytes overflows size_t",
                  what, count, elem_size);
  }
  return Status();
}

}  // namespace internal

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
