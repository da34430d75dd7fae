// Status <-> grpc::Status round trips for every code we use.
#include "proto/status_convert.h"

#include <gtest/gtest.h>

namespace hkv::proto {
namespace {

TEST(StatusConvertTest, RoundTripsEveryCode) {
  for (StatusCode c :
       {StatusCode::kCancelled, StatusCode::kInvalidArgument, StatusCode::kDeadlineExceeded,
        StatusCode::kNotFound, StatusCode::kFailedPrecondition, StatusCode::kResourceExhausted,
        StatusCode::kOutOfRange, StatusCode::kUnimplemented, StatusCode::kInternal,
        StatusCode::kUnavailable, StatusCode::kDataLoss, StatusCode::kUnauthenticated}) {
    Status s(c, std::string("msg for ") + status_code_name(c));
    grpc::Status g = to_grpc_status(s);
    EXPECT_FALSE(g.ok());
    EXPECT_EQ(g.error_message(), s.message());
    EXPECT_EQ(from_grpc_status(g), s) << status_code_name(c);
  }
}

TEST(StatusConvertTest, OkAndUnknownCodes) {
  EXPECT_TRUE(to_grpc_status(Status()).ok());
  EXPECT_TRUE(from_grpc_status(grpc::Status::OK).ok());
  Status unknown = from_grpc_status(grpc::Status(grpc::StatusCode::UNKNOWN, ""));
  EXPECT_EQ(unknown.code(), StatusCode::kInternal);
  EXPECT_FALSE(unknown.message().empty());
  EXPECT_EQ(to_grpc_status(Status(StatusCode::kUnauthenticated, "bad token")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace hkv::proto
