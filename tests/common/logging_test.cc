// HKV_CHECK aborts with file:line and message; log levels parse and filter.
#include "common/logging.h"

#include <gtest/gtest.h>

namespace hkv {
namespace {

TEST(LoggingTest, ParseLevels) {
  LogLevel level = LogLevel::kInfo;
  EXPECT_TRUE(parse_log_level("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  EXPECT_TRUE(parse_log_level("warn", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
  EXPECT_FALSE(parse_log_level("loud", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
}

TEST(LoggingTest, LevelFiltersMessages) {
  LogLevel saved = log_level();
  set_log_level(LogLevel::kError);
  ::testing::internal::CaptureStderr();
  HKV_LOG(kInfo, "test", "hidden %d", 1);
  HKV_LOG(kError, "test", "shown %d", 2);
  std::string err = ::testing::internal::GetCapturedStderr();
  set_log_level(saved);
  EXPECT_EQ(err.find("hidden"), std::string::npos);
  EXPECT_NE(err.find("test logging_test.cc"), std::string::npos) << err;
  EXPECT_NE(err.find("] shown 2"), std::string::npos) << err;
}

TEST(CheckDeathTest, FailedCheckAbortsWithMessage) {
  int x = 3;
  EXPECT_DEATH(HKV_CHECK(x == 4) << "x was " << x,
               "logging_test.cc:[0-9]+\\] HKV_CHECK\\(x == 4\\) failed: x was 3");
}

TEST(CheckTest, PassingCheckDoesNotEvaluateMessage) {
  int evaluated = 0;
  auto side_effect = [&]() { return ++evaluated; };
  HKV_CHECK(true) << side_effect();
  EXPECT_EQ(evaluated, 0);
}

}  // namespace
}  // namespace hkv
