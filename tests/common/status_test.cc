// Status / Result semantics and the propagation macros.
#include "common/status.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace hkv {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.to_string(), "OK");
}

TEST(StatusTest, ErrorfFormatsAndNamesCode) {
  Status s = errorf(StatusCode::kNotFound, "tensor '%s' missing in %s", "wq", "a.gguf");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "tensor 'wq' missing in a.gguf");
  EXPECT_EQ(s.to_string(), "NOT_FOUND: tensor 'wq' missing in a.gguf");
}

TEST(StatusTest, WithContextPrependsAndKeepsCode) {
  Status s = errorf(StatusCode::kDataLoss, "truncated").with_context("loading %s", "m.gguf");
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "loading m.gguf: truncated");
  EXPECT_TRUE(Status().with_context("ignored %d", 1).ok());
}

TEST(StatusTest, EveryCodeHasAName) {
  for (StatusCode c :
       {StatusCode::kOk, StatusCode::kCancelled, StatusCode::kInvalidArgument,
        StatusCode::kDeadlineExceeded, StatusCode::kNotFound, StatusCode::kFailedPrecondition,
        StatusCode::kResourceExhausted, StatusCode::kOutOfRange, StatusCode::kUnimplemented,
        StatusCode::kInternal, StatusCode::kUnavailable, StatusCode::kDataLoss,
        StatusCode::kUnauthenticated}) {
    EXPECT_STRNE(status_code_name(c), "UNKNOWN");
  }
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(r.value(), 42);
}

TEST(ResultTest, HoldsError) {
  Result<int> r = errorf(StatusCode::kInvalidArgument, "bad %d", 7);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bad 7");
}

TEST(ResultTest, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = errorf(StatusCode::kInternal, "boom");
  EXPECT_DEATH((void)r.value(), "value\\(\\) of an error Result: INTERNAL: boom");
}

TEST(ResultDeathTest, OkStatusWithoutValueAborts) {
  EXPECT_DEATH({ Result<int> r{Status()}; }, "OK status without a value");
}

Result<int> parse_positive(int x) {
  if (x <= 0) {
    return errorf(StatusCode::kOutOfRange, "x=%d, expected > 0", x);
  }
  return x;
}

Status check_then_double(int x, int* out, int* evaluations) {
  HKV_RETURN_IF_ERROR(((*evaluations)++, parse_positive(x)));
  HKV_ASSIGN_OR_RETURN(int v, parse_positive(x));
  *out = 2 * v;
  return Status();
}

TEST(MacrosTest, PropagateErrorsAndEvaluateOnce) {
  int out = 0;
  int evaluations = 0;
  EXPECT_TRUE(check_then_double(4, &out, &evaluations).ok());
  EXPECT_EQ(out, 8);
  EXPECT_EQ(evaluations, 1);
  Status s = check_then_double(-1, &out, &evaluations);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(s.message(), "x=-1, expected > 0");
  EXPECT_EQ(evaluations, 2);
}

Result<std::string> greet(int x) {
  HKV_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return "hello " + std::to_string(v);
}

TEST(MacrosTest, AssignOrReturnInResultFunction) {
  EXPECT_EQ(*greet(3), "hello 3");
  EXPECT_EQ(greet(0).status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace hkv
