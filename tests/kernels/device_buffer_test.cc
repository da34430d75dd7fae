// RAII wrappers on a real device: allocation, copies, move semantics, OOM as a Status, events.
#include "kernels/device_buffer.h"

#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/device_info.h"
#include "kernels/self_test.h"
#include "tests/testing/gpu.h"

namespace hkv::kernels {
namespace {

TEST(DeviceBufferTest, OverflowingSizeIsAnErrorWithoutDevice) {
  auto huge = DeviceBuffer<double>::allocate(SIZE_MAX / 4);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
}

TEST(DeviceBufferTest, AvailabilityNeverFails) {
  CudaAvailability a = cuda_availability();
  EXPECT_GE(a.device_count, 0);
  if (a.device_count == 0) {
    EXPECT_FALSE(a.reason.empty());
  }
}

TEST(DeviceBufferGpuTest, RoundTripAndMove) {
  HKV_SKIP_IF_NO_GPU();
  auto stream = CudaStream::create();
  ASSERT_TRUE(stream.ok());
  std::vector<int> host(1000);
  std::iota(host.begin(), host.end(), 0);
  auto buf = DeviceBuffer<int>::allocate(host.size());
  ASSERT_TRUE(buf.ok());
  EXPECT_EQ(buf->bytes(), host.size() * sizeof(int));
  ASSERT_TRUE(buf->copy_from_host(host.data(), stream->get()).ok());
  DeviceBuffer<int> moved = std::move(buf).value();
  std::vector<int> back(host.size());
  ASSERT_TRUE(moved.copy_to_host(back.data(), stream->get()).ok());
  ASSERT_TRUE(stream->synchronize().ok());
  EXPECT_EQ(back, host);
}

// Stream-ordered buffers: a buffer freed on a stream and the next one allocated on it may share
// memory, and the stream's order keeps the first one's pending work apart from the second's.
TEST(DeviceBufferGpuTest, StreamOrderedBuffersReuseMemoryInStreamOrder) {
  HKV_SKIP_IF_NO_GPU();
  auto stream = CudaStream::create();
  ASSERT_TRUE(stream.ok());
  const size_t n = 1 << 20;
  std::vector<int> first(n, 0), second(n, 0);
  {
    auto a = DeviceBuffer<int>::allocate_async(n, stream->get());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(cudaMemsetAsync(a->data(), 0x11, a->bytes(), stream->get()) == cudaSuccess);
    ASSERT_TRUE(a->copy_to_host(first.data(), stream->get()).ok());
    DeviceBuffer<int> moved = std::move(a).value();  // the move keeps the stream-ordered free
  }  // freed in stream order, before the device ran the memset or the copy
  auto b = DeviceBuffer<int>::allocate_async(n, stream->get());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(cudaMemsetAsync(b->data(), 0x22, b->bytes(), stream->get()) == cudaSuccess);
  ASSERT_TRUE(b->copy_to_host(second.data(), stream->get()).ok());
  ASSERT_TRUE(stream->synchronize().ok());
  EXPECT_EQ(first, std::vector<int>(n, 0x11111111));
  EXPECT_EQ(second, std::vector<int>(n, 0x22222222));
  *b = DeviceBuffer<int>();  // frees the 4 MiB buffer in stream order
  ASSERT_TRUE(stream->synchronize().ok());
  // The pool keeps freed memory past a synchronisation for the next allocation.
  EXPECT_GE(pool_idle_bytes(), n * sizeof(int));
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(DeviceBufferGpuTest, OutOfMemoryIsResourceExhausted) {
  HKV_SKIP_IF_NO_GPU();
  auto info = DeviceInfo::query(0);
  ASSERT_TRUE(info.ok());
  auto too_big = DeviceBuffer<uint8_t>::allocate(info->total_memory_bytes * 4);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(too_big.status().message().find("cudaMalloc"), std::string::npos);
  auto too_big_async = DeviceBuffer<uint8_t>::allocate_async(info->total_memory_bytes * 4, nullptr);
  ASSERT_FALSE(too_big_async.ok());
  EXPECT_EQ(too_big_async.status().code(), StatusCode::kResourceExhausted);
  // The failure is neither sticky nor left behind for the next launch check to report.
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_TRUE(DeviceBuffer<uint8_t>::allocate(16).ok());
  EXPECT_TRUE(run_device_self_test(0).ok());
}

TEST(DeviceBufferGpuTest, PinnedBufferAndEvents) {
  HKV_SKIP_IF_NO_GPU();
  auto stream = CudaStream::create();
  auto pinned = PinnedBuffer<float>::allocate(256);
  auto start = CudaEvent::create();
  auto stop = CudaEvent::create();
  ASSERT_TRUE(stream.ok() && pinned.ok() && start.ok() && stop.ok());
  ASSERT_TRUE(start->record(stream->get()).ok());
  ASSERT_TRUE(stop->record(stream->get()).ok());
  ASSERT_TRUE(stop->synchronize().ok());
  auto ms = stop->elapsed_ms_since(*start);
  ASSERT_TRUE(ms.ok());
  EXPECT_GE(*ms, 0.0f);
}

TEST(DeviceBufferGpuTest, DeviceInfoAndSelfTest) {
  HKV_SKIP_IF_NO_GPU();
  auto devices = query_all_devices();
  ASSERT_TRUE(devices.ok());
  ASSERT_FALSE(devices->empty());
  EXPECT_GT((*devices)[0].sm_count, 0);
  EXPECT_GT((*devices)[0].total_memory_bytes, 0u);
  Status st = run_device_self_test(0);
  EXPECT_TRUE(st.ok()) << st.to_string();
}

}  // namespace
}  // namespace hkv::kernels
