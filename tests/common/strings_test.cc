// strformat / format_bytes / split / trim.
#include "common/strings.h"

#include <string>

#include <gtest/gtest.h>

namespace hkv {
namespace {

TEST(StringsTest, StrformatHandlesLongOutput) {
  std::string long_arg(5000, 'x');
  EXPECT_EQ(strformat("[%s]", long_arg.c_str()).size(), 5002u);
  EXPECT_EQ(strformat("%d-%s", 3, "a"), "3-a");
}

TEST(StringsTest, FormatBytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3.00 GiB");
}

TEST(StringsTest, SplitKeepsEmptyFields) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(split("15-30", '-'), (std::vector<std::string>{"15", "30"}));
}

TEST(StringsTest, Trim) {
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_TRUE(starts_with("model name : x", "model name"));
  EXPECT_FALSE(starts_with("mod", "model"));
}

}  // namespace
}  // namespace hkv
