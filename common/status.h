// Status and Result<T>: the one error type of headkv. Codes are a subset of the canonical gRPC
// codes so that the mapping to grpc::Status is one exhaustive switch (proto/status_convert.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/logging.h"

namespace hkv {

enum class StatusCode {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kFailedPrecondition = 9,
  kAborted = 10,
  kResourceExhausted = 8,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT" etc., as gRPC spells them.
[[nodiscard]] const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }

  StatusCode code() const { return code_; }

  const std::string& message() const { return message_; }

  // Prepends printf-style context: "loading x.gguf: tensor 'a' truncated". No-op when ok().
  Status with_context(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));

  // "INVALID_ARGUMENT: message", or "OK".
  std::string to_string() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// printf-style constructor: errorf(StatusCode::kNotFound, "file '%s' not found", path).
[[nodiscard]] Status errorf(StatusCode code, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// A value or the error that prevented it. Accessing the value of an error aborts (HKV_CHECK).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    HKV_CHECK(!status_.ok()) << "Result constructed from an OK status without a value";
  }

  bool ok() const { return status_.ok(); }

  const Status& status() const& { return status_; }

  Status status() && { return std::move(status_); }

  const T& value() const& {
    check_has_value();
    return *value_;
  }

  T& value() & {
    check_has_value();
    return *value_;
  }

  T value() && {
    check_has_value();
    return std::move(*value_);
  }

  const T& operator*() const& { return value(); }

  T& operator*() & { return value(); }

  const T* operator->() const { return &value(); }

  T* operator->() { return &value(); }

 private:
  void check_has_value() const {
    HKV_CHECK(status_.ok()) << "value() of an error Result: " << status_.to_string();
  }

  std::optional<T> value_;
  Status status_;
};

namespace internal {
inline const Status& as_status(const Status& s) {
  return s;
}

template <typename T>
const Status& as_status(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace hkv

#define HKV_STATUS_CONCAT_INNER(a, b) a##b
#define HKV_STATUS_CONCAT(a, b)       HKV_STATUS_CONCAT_INNER(a, b)

// Evaluates `expr` (a Status or Result<T>) once and returns its status from the caller on error.
#define HKV_RETURN_IF_ERROR(expr)                                  \
  do {                                                             \
    const auto& hkv_return_if_error_v = (expr);                    \
    if (!::hkv::internal::as_status(hkv_return_if_error_v).ok()) { \
      return ::hkv::internal::as_status(hkv_return_if_error_v);    \
    }                                                              \
  } while (0)

// `HKV_ASSIGN_OR_RETURN(auto x, make_x());` declares or assigns `lhs` from a Result<T>, returning
// the error from the caller instead.
#define HKV_ASSIGN_OR_RETURN(lhs, expr) \
  HKV_ASSIGN_OR_RETURN_IMPL(HKV_STATUS_CONCAT(hkv_result_, __LINE__), lhs, expr)
#define HKV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) {                                \
    return std::move(tmp).status();               \
  }                                               \
  lhs = std::move(tmp).value()
