// median: odd and even counts, unsorted input, empty input; ms_since counts forward.
#include "common/timing.h"

#include <thread>

#include <gtest/gtest.h>

namespace hkv {
namespace {

TEST(TimingTest, Median) {
  EXPECT_DOUBLE_EQ(median({}), 0.0);
  EXPECT_DOUBLE_EQ(median({3.0}), 3.0);
  EXPECT_DOUBLE_EQ(median({5.0, 1.0, 3.0}), 3.0);
  EXPECT_DOUBLE_EQ(median({4.0, 1.0, 3.0, 2.0}), 2.5);
}

TEST(TimingTest, MsSinceCountsForward) {
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(ms_since(start), 5.0);
}

}  // namespace
}  // namespace hkv
