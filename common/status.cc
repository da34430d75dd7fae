// Status formatting and code names.
#include "common/status.h"

#include <cstdarg>

#include "common/strings.h"

namespace hkv {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
  HKV_CHECK(code != StatusCode::kOk || message_.empty())
      << "OK status with a message: " << message_;
}

Status Status::with_context(const char* fmt, ...) const {
  if (ok()) {
    return *this;
  }
  va_list args;
  va_start(args, fmt);
  std::string context = vstrformat(fmt, args);
  va_end(args);
  return Status(code_, context + ": " + message_);
}

std::string Status::to_string() const {
  if (ok()) {
    return "OK";
  }
  return std::string(status_code_name(code_)) + ": " + message_;
}

Status errorf(StatusCode code, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string message = vstrformat(fmt, args);
  va_end(args);
  return Status(code, std::move(message));
}

}  // namespace hkv
