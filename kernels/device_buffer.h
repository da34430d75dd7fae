// Move-only RAII owners of CUDA resources: DeviceBuffer<T>, PinnedBuffer<T>, CudaStream, CudaEvent.
// Created through allocate()/create() returning Result, so OOM is a Status. The only place that
// calls cudaMalloc/cudaFree (and their stream-ordered forms). Copies are deleted: nothing
// deep-copies device memory silently.
#pragma once

#include <cstddef>
#include <utility>

#include <cuda_runtime_api.h>

#include "kernels/cuda_utils.h"

namespace hkv::kernels {

namespace internal {
Status check_allocation_size(size_t count, size_t elem_size, const char* what);
// cudaMalloc; when the device is out of memory, first hands the memory pool's idle bytes back
// to the device (see pool_allocate) and tries once more.
Result<void*> device_allocate(size_t bytes);
// cudaMallocAsync from the current device's default pool, in `stream`'s order. The pool keeps up
// to an eighth of the device's memory after frees (set once per device), so a freed buffer's memory
// serves the next allocation without a device-wide synchronisation.
Result<void*> pool_allocate(size_t bytes, cudaStream_t stream);
}  // namespace internal

// Bytes the current device's default pool holds without a live allocation: memory a
// stream-ordered allocation gets back without cudaMalloc (cudaMemGetInfo counts it as used).
size_t pool_idle_bytes();

// Owns `count` elements of T in device memory (uninitialised).
template <typename T>
class DeviceBuffer {
 public:
  static Result<DeviceBuffer> allocate(size_t count) {
    HKV_RETURN_IF_ERROR(internal::check_allocation_size(count, sizeof(T), "device buffer"));
    DeviceBuffer buffer;
    if (count > 0) {
      HKV_ASSIGN_OR_RETURN(void* ptr, internal::device_allocate(count * sizeof(T)));
      buffer.data_ = static_cast<T*>(ptr);
    }
    buffer.size_ = count;
    return buffer;
  }

  // Stream-ordered: the memory comes from the device's pool in `stream`'s order (cudaMallocAsync)
  // and goes back to it in the same order when the buffer dies (cudaFreeAsync on `stream`), so
  // neither waits for the device, where cudaMalloc/cudaFree synchronise it. Work on other streams
  // must not use the buffer after its last use on `stream`. `stream` must outlive the buffer.
  // For the engine's per-sample buffers (caches, prefill activations, compression scratch).
  static Result<DeviceBuffer> allocate_async(size_t count, cudaStream_t stream) {
    HKV_RETURN_IF_ERROR(internal::check_allocation_size(count, sizeof(T), "device buffer"));
    DeviceBuffer buffer;
    if (count > 0) {
      HKV_ASSIGN_OR_RETURN(void* ptr, internal::pool_allocate(count * sizeof(T), stream));
      buffer.data_ = static_cast<T*>(ptr);
      buffer.stream_ = stream;
      buffer.stream_ordered_ = true;
    }
    buffer.size_ = count;
    return buffer;
  }

  DeviceBuffer() = default;

  DeviceBuffer(DeviceBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        stream_(std::exchange(o.stream_, nullptr)),
        stream_ordered_(std::exchange(o.stream_ordered_, false)) {}

  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      stream_ = std::exchange(o.stream_, nullptr);
      stream_ordered_ = std::exchange(o.stream_ordered_, false);
    }
    return *this;
  }

  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  ~DeviceBuffer() { release(); }

  T* data() { return data_; }

  const T* data() const { return data_; }

  size_t size() const { return size_; }

  size_t bytes() const { return size_ * sizeof(T); }

  // Host -> device / device -> host copies of exactly size() elements, enqueued on `stream`.
  Status copy_from_host(const T* host, cudaStream_t stream) {
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(data_, host, bytes(), cudaMemcpyHostToDevice, stream));
    return Status();
  }

  Status copy_to_host(T* host, cudaStream_t stream) const {
    HKV_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(host, data_, bytes(), cudaMemcpyDeviceToHost, stream));
    return Status();
  }

 private:
  void release() {
    if (data_ != nullptr) {
      if (stream_ordered_) {
        HKV_CUDA_LOG_IF_ERROR(cudaFreeAsync(data_, stream_));
      } else {
        HKV_CUDA_LOG_IF_ERROR(cudaFree(data_));
      }
    }
    data_ = nullptr;
    size_ = 0;
    stream_ = nullptr;
    stream_ordered_ = false;
  }

  T* data_ = nullptr;  // [size_]
  size_t size_ = 0;
  cudaStream_t stream_ = nullptr;  // the stream a stream-ordered buffer is freed on
  bool stream_ordered_ = false;    // allocate_async: cudaFreeAsync, else cudaFree
};

// Owns `count` elements of page-locked host memory, for async copies.
template <typename T>
class PinnedBuffer {
 public:
  static Result<PinnedBuffer> allocate(size_t count) {
    HKV_RETURN_IF_ERROR(internal::check_allocation_size(count, sizeof(T), "pinned buffer"));
    PinnedBuffer buffer;
    if (count > 0) {
      void* ptr = nullptr;
      HKV_CUDA_RETURN_IF_ERROR(cudaMallocHost(&ptr, count * sizeof(T)));
      buffer.data_ = static_cast<T*>(ptr);
    }
    buffer.size_ = count;
    return buffer;
  }

  PinnedBuffer() = default;

  PinnedBuffer(PinnedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }

  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  ~PinnedBuffer() { release(); }

  T* data() { return data_; }

  const T* data() const { return data_; }

  size_t size() const { return size_; }

  size_t bytes() const { return size_ * sizeof(T); }

  T& operator[](size_t i) { return data_[i]; }

  const T& operator[](size_t i) const { return data_[i]; }

 private:
  void release() {
    if (data_ != nullptr) {
      HKV_CUDA_LOG_IF_ERROR(cudaFreeHost(data_));
    }
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;  // [size_], host, page-locked
  size_t size_ = 0;
};

// A non-blocking stream (never the legacy default stream).
class CudaStream {
 public:
  static Result<CudaStream> create();
  CudaStream() = default;

  CudaStream(CudaStream&& o) noexcept : stream_(std::exchange(o.stream_, nullptr)) {}

  CudaStream& operator=(CudaStream&& o) noexcept;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  ~CudaStream();

  cudaStream_t get() const { return stream_; }

  Status synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

// An event for timing (elapsed_ms) and cross-stream ordering.
class CudaEvent {
 public:
  static Result<CudaEvent> create();
  CudaEvent() = default;

  CudaEvent(CudaEvent&& o) noexcept : event_(std::exchange(o.event_, nullptr)) {}

  CudaEvent& operator=(CudaEvent&& o) noexcept;
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  ~CudaEvent();

  cudaEvent_t get() const { return event_; }

  Status record(cudaStream_t stream);
  Status synchronize() const;
  // Milliseconds from `start` to this event; both must have completed.
  Result<float> elapsed_ms_since(const CudaEvent& start) const;

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace hkv::kernels
