// parallel_for: every index runs exactly once whatever the size and chunking, small inputs run
// inline, and a second parallel_for after the first reuses the pool.
#include "common/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace hkv {
namespace {

TEST(ParallelForTest, EveryIndexRunsExactlyOnce) {
  for (int64_t n : {1, 2, 3, 17, 1000, 100003}) {
    for (int64_t min_chunk : {1, 7, 4096}) {
      std::vector<std::atomic<int>> hits(n);
      parallel_for(n, min_chunk, [&](int64_t begin, int64_t end) {
        ASSERT_LE(0, begin);
        ASSERT_LT(begin, end);
        ASSERT_LE(end, n);
        for (int64_t i = begin; i < end; ++i) {
          hits[i].fetch_add(1);
        }
      });
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(hits[i].load(), 1) << "n " << n << " min_chunk " << min_chunk << " i " << i;
      }
    }
  }
}

TEST(ParallelForTest, NothingToDoRunsNothing) {
  bool ran = false;
  parallel_for(0, 1, [&](int64_t, int64_t) { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(ParallelForTest, ChunksRunOnSeveralThreadsWhenThePoolHasThem) {
  if (parallel_threads() < 2) {
    GTEST_SKIP() << "one thread";
  }
  std::atomic<int> inside{0}, most{0};
  std::mutex mu;
  std::vector<std::thread::id> ids;
  parallel_for(parallel_threads(), 1, [&](int64_t, int64_t) {
    const int now = inside.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    // Wait (up to 5 s) until a second chunk runs beside this one: only another thread can.
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (most.load() < 2 && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    inside.fetch_sub(1);
    std::lock_guard<std::mutex> lock(mu);
    ids.push_back(std::this_thread::get_id());
  });
  EXPECT_EQ(static_cast<int>(ids.size()), parallel_threads());
  std::sort(ids.begin(), ids.end());
  EXPECT_GE(std::unique(ids.begin(), ids.end()) - ids.begin(), 2);
  EXPECT_GE(most.load(), 2);
}

TEST(ParallelForTest, ANestedLoopRunsInlineOnItsThread) {
  std::atomic<int64_t> sum{0};
  parallel_for(8, 1, [&](int64_t begin, int64_t end) {
    const std::thread::id outer = std::this_thread::get_id();
    for (int64_t i = begin; i < end; ++i) {
      parallel_for(100, 10, [&](int64_t b, int64_t e) {
        EXPECT_EQ(std::this_thread::get_id(), outer);
        sum.fetch_add(e - b);
      });
    }
  });
  EXPECT_EQ(sum.load(), 800);
}

TEST(ParallelForTest, ManyJobsInARow) {
  int64_t total = 0;
  for (int round = 0; round < 2000; ++round) {
    std::atomic<int64_t> sum{0};
    parallel_for(64, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        sum.fetch_add(i);
      }
    });
    total += sum.load();
  }
  EXPECT_EQ(total, 2000 * (63 * 64 / 2));
}

}  // namespace
}  // namespace hkv
