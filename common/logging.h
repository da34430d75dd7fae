// One tiny logger (HKV_LOG, printf-style, one line per event on stderr) and the always-on
// invariant check HKV_CHECK(cond) << msg, which aborts with file:line. HKV_DCHECK is debug-only.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace hkv {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// The process-wide threshold. Starts from $HKV_LOG_LEVEL (debug|info|warning|error|off), else info.
LogLevel log_level();
void set_log_level(LogLevel level);
// Parses "debug", "info", "warning"/"warn", "error", "off"; returns false on anything else.
bool parse_log_level(std::string_view text, LogLevel* out);

void log_message(
    LogLevel level, const char* component, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));

namespace internal {

// Collects the streamed message of a failed HKV_CHECK and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();

  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Lets `cond ? (void)0 : Voidify() & stream` type-check as a void expression.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace internal
}  // namespace hkv

// HKV_LOG(kInfo, "worker", "task=%lld attempt=%d started", id, attempt);
#define HKV_LOG(level, component, ...)                                                        \
  do {                                                                                        \
    if (::hkv::LogLevel::level >= ::hkv::log_level()) {                                       \
      ::hkv::log_message(::hkv::LogLevel::level, component, __FILE__, __LINE__, __VA_ARGS__); \
    }                                                                                         \
  } while (0)

#define HKV_CHECK(cond)                 \
  (cond) ? static_cast<void>(0)         \
         : ::hkv::internal::Voidify() & \
               ::hkv::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#ifdef NDEBUG
#define HKV_DCHECK(cond) \
  while (false)          \
  HKV_CHECK(cond)
#else
#define HKV_DCHECK(cond) HKV_CHECK(cond)
#endif
