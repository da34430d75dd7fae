// BusyMeter: idle periods are 0, a task inside one period counts its length, a task spanning
// periods counts in each for the part inside, and the fraction never leaves [0, 1].
#include "worker/busy_meter.h"

#include <gtest/gtest.h>

namespace hkv::worker {
namespace {

using std::chrono::milliseconds;

TEST(BusyMeterTest, SharesOfEachPeriod) {
  const BusyMeter::Clock::time_point t0{};
  BusyMeter m(t0);
  EXPECT_DOUBLE_EQ(m.take_fraction(t0 + milliseconds(1000)), 0.0);  // idle
  m.task_started(t0 + milliseconds(1500));
  m.task_ended(t0 + milliseconds(1750));
  EXPECT_DOUBLE_EQ(m.take_fraction(t0 + milliseconds(2000)), 0.25);  // 250 of 1000 ms
  m.task_started(t0 + milliseconds(2500));                           // spans three periods
  EXPECT_DOUBLE_EQ(m.take_fraction(t0 + milliseconds(3000)), 0.5);
  EXPECT_DOUBLE_EQ(m.take_fraction(t0 + milliseconds(4000)), 1.0);
  m.task_ended(t0 + milliseconds(4200));
  m.task_started(t0 + milliseconds(4600));
  m.task_ended(t0 + milliseconds(4700));
  EXPECT_DOUBLE_EQ(m.take_fraction(t0 + milliseconds(5000)), 0.3);  // 200 + 100 ms
  EXPECT_DOUBLE_EQ(m.take_fraction(t0 + milliseconds(5000)), 0.0);  // an empty period, idle
}

}  // namespace
}  // namespace hkv::worker
