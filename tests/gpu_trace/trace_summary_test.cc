#include "gpu_trace/trace_summary.h"

#include <gtest/gtest.h>

namespace hkv::trace {
namespace {

constexpr uint64_t kUs = 1000;

TEST(TraceSummaryTest, EmptyTraceHasNoSpanAndNoGaps) {
  Trace t;
  const Summary s = summarize(t);
  EXPECT_EQ(s.span_ns, 0u);
  EXPECT_EQ(s.busy_ns, 0u);
  for (const GapBucket& b : s.gaps) {
    EXPECT_EQ(b.count, 0);
  }
  EXPECT_TRUE(s.longest.empty());
  EXPECT_NE(format_summary(s).find("device busy"), std::string::npos);
}

TEST(TraceSummaryTest, BusyIsTheUnionOfOverlappingSpans) {
  Trace t;
  const int32_t a = t.intern("gemm"), b = t.intern("attention");
  EXPECT_EQ(t.intern("gemm"), a);  // a name seen before keeps its index
  EXPECT_EQ(t.names.size(), 2u);
  // Out of order on purpose; [5, 20] overlaps [0, 10] (two streams), [12, 15] lies inside it.
  t.device = {{30, 40, a}, {0, 10, a}, {12, 15, b}, {5, 20, b}};
  const Summary s = summarize(t);
  EXPECT_EQ(s.span_ns, 40u);
  EXPECT_EQ(s.busy_ns, 30u);  // [0, 20] and [30, 40]
  EXPECT_EQ(s.gaps[0].count, 1);
  EXPECT_EQ(s.gaps[0].total_ns, 10u);
  ASSERT_EQ(s.kernels.size(), 2u);
  EXPECT_EQ(s.kernels[0].name, "gemm");  // [0, 10] and [30, 40]
  EXPECT_EQ(s.kernels[0].total_ns, 20u);
  EXPECT_EQ(s.kernels[0].count, 2);
  EXPECT_EQ(s.kernels[1].name, "attention");  // 15 + 3 ns: overlap is counted per kernel
  EXPECT_EQ(s.kernels[1].total_ns, 18u);
}

TEST(TraceSummaryTest, GapsFallIntoTheirLengthBuckets) {
  Trace t;
  const int32_t k = t.intern("k");
  // Gaps of 1 us, 5 us, 50 us, 500 us, 5 ms and 50 ms between 1-us kernels.
  const uint64_t gaps[] = {1 * kUs, 5 * kUs, 50 * kUs, 500 * kUs, 5000 * kUs, 50000 * kUs};
  uint64_t at = 0;
  for (uint64_t g : gaps) {
    t.device.push_back({at, at + kUs, k});
    at += kUs + g;
  }
  t.device.push_back({at, at + kUs, k});
  const Summary s = summarize(t);
  ASSERT_EQ(s.gaps.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.gaps[i].count, 1) << "bucket " << i;
    EXPECT_EQ(s.gaps[i].total_ns, gaps[i]) << "bucket " << i;
  }
  EXPECT_EQ(s.busy_ns, 7 * kUs);
  EXPECT_EQ(s.span_ns, 7 * kUs + 55556 * kUs);
}

TEST(TraceSummaryTest, EachGapIsChargedToTheHostCallInFlightAtItsMiddle) {
  Trace t;
  const int32_t k = t.intern("k");
  const int32_t sync = t.intern("cudaStreamSynchronize");
  const int32_t launch = t.intern("cudaLaunchKernel");
  const int32_t alloc = t.intern("cudaMallocAsync");
  t.device = {{0, 10 * kUs, k},
              {110 * kUs, 120 * kUs, k},
              {420 * kUs, 430 * kUs, k},
              {440 * kUs, 450 * kUs, k}};
  t.api = {
      // Gap [10, 110] us: a long sync on thread 1 and a shorter launch on thread 2 both cover
      // its middle (60 us); the longer call wins.
      {5 * kUs, 109 * kUs, sync, 1},
      {55 * kUs, 65 * kUs, launch, 2},
      // Gap [120, 420] us: the allocation ends before the middle (270 us): host work.
      {121 * kUs, 200 * kUs, alloc, 1},
      // Gap [430, 440] us: a launch covers it.
      {431 * kUs, 439 * kUs, launch, 1},
  };
  const Summary s = summarize(t);
  ASSERT_EQ(s.idle_by_cause.size(), 3u);
  // Host work is named by the calls around it: the allocation before, the launch after.
  EXPECT_EQ(s.idle_by_cause[0].name,
            "(no CUDA call: host work, after cudaMallocAsync, before cudaLaunchKernel)");
  EXPECT_EQ(s.idle_by_cause[0].total_ns, 300 * kUs);
  EXPECT_EQ(s.idle_by_cause[1].name, "cudaStreamSynchronize");
  EXPECT_EQ(s.idle_by_cause[1].total_ns, 100 * kUs);
  EXPECT_EQ(s.idle_by_cause[2].name, "cudaLaunchKernel");
  EXPECT_EQ(s.idle_by_cause[2].count, 1);
  ASSERT_EQ(s.longest.size(), 3u);
  EXPECT_EQ(s.longest[0].start_ns, 120 * kUs);  // from the first device span
  EXPECT_EQ(s.longest[0].length_ns, 300 * kUs);
  EXPECT_EQ(s.longest[2].cause, "cudaLaunchKernel");
  // Host time by call: the launches add up over both threads.
  ASSERT_EQ(s.api.size(), 3u);
  EXPECT_EQ(s.api[0].name, "cudaStreamSynchronize");
  EXPECT_EQ(s.api[2].name, "cudaLaunchKernel");
  EXPECT_EQ(s.api[2].count, 2);
  EXPECT_EQ(s.api[2].total_ns, 18 * kUs);
}

TEST(TraceSummaryTest, HostWorkGapsAreGroupedByTheCallsAroundThem) {
  Trace t;
  const int32_t k = t.intern("k");
  const int32_t sync = t.intern("cudaEventSynchronize");
  const int32_t graph = t.intern("cudaGraphLaunch");
  // Two decode steps' host logic (read the tokens, launch the next graph), then a gap after the
  // last call of the trace, then one before any call: each kind is its own cause.
  t.device = {{0, 10 * kUs, k},
              {30 * kUs, 40 * kUs, k},
              {60 * kUs, 70 * kUs, k},
              {170 * kUs, 180 * kUs, k}};
  t.api = {{8 * kUs, 12 * kUs, sync, 1},
           {25 * kUs, 28 * kUs, graph, 1},
           {38 * kUs, 42 * kUs, sync, 1},
           {55 * kUs, 58 * kUs, graph, 1}};
  Summary s = summarize(t);
  ASSERT_EQ(s.idle_by_cause.size(), 2u);
  EXPECT_EQ(s.idle_by_cause[0].name, "(no CUDA call: host work, after cudaGraphLaunch)");
  EXPECT_EQ(s.idle_by_cause[0].total_ns, 100 * kUs);
  EXPECT_EQ(s.idle_by_cause[1].name,
            "(no CUDA call: host work, after cudaEventSynchronize, before cudaGraphLaunch)");
  EXPECT_EQ(s.idle_by_cause[1].count, 2);
  EXPECT_EQ(s.idle_by_cause[1].total_ns, 40 * kUs);
  // No call at all around a gap: plain host work.
  Trace bare;
  const int32_t kb = bare.intern("k");
  bare.device = {{0, 10 * kUs, kb}, {20 * kUs, 30 * kUs, kb}};
  s = summarize(bare);
  ASSERT_EQ(s.longest.size(), 1u);
  EXPECT_EQ(s.longest[0].cause, kHostWork);
}

TEST(TraceSummaryTest, ShortGapsAreCountedButNotChargedAndTablesKeepTheTop) {
  Trace t;
  for (int i = 0; i < 20; ++i) {
    const int32_t name = t.intern("kernel" + std::to_string(i));
    const uint64_t at = static_cast<uint64_t>(i) * 10 * kUs;
    t.device.push_back({at, at + static_cast<uint64_t>(i + 1) * 100, name});
  }
  const Summary s = summarize(t, /*top=*/5, /*min_gap_ns=*/20 * kUs);
  EXPECT_EQ(s.gaps[1].count, 19);  // every gap is 8.0-9.9 us: the [2, 10) us bucket
  EXPECT_TRUE(s.idle_by_cause.empty());
  EXPECT_TRUE(s.longest.empty());
  ASSERT_EQ(s.kernels.size(), 5u);
  EXPECT_EQ(s.kernels[0].name, "kernel19");
  EXPECT_EQ(s.kernels[4].name, "kernel15");
  const std::string text = format_summary(s);
  EXPECT_NE(text.find("kernel19"), std::string::npos);
  EXPECT_EQ(text.find("kernel14"), std::string::npos);
}

}  // namespace
}  // namespace hkv::trace
