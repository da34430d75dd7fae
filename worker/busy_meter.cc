// BusyMeter: busy time clipped to the current period; a running task's share is counted at each
// period boundary and the rest of it in the next period.
#include "worker/busy_meter.h"

#include <algorithm>

namespace hkv::worker {

void BusyMeter::task_started(Clock::time_point now) {
  task_start_ = now;
}

void BusyMeter::task_ended(Clock::time_point now) {
  if (task_start_.has_value()) {
    busy_ += now - std::max(*task_start_, period_start_);
    task_start_.reset();
  }
}

double BusyMeter::take_fraction(Clock::time_point now) {
  Clock::duration busy = busy_;
  if (task_start_.has_value()) {
    busy += now - std::max(*task_start_, period_start_);
  }
  const Clock::duration period = now - period_start_;
  period_start_ = now;
  busy_ = Clock::duration{};
  if (period <= Clock::duration{}) {
    return task_start_.has_value() ? 1.0 : 0.0;
  }
  return std::clamp(
      std::chrono::duration<double>(busy).count() / std::chrono::duration<double>(period).count(),
      0.0, 1.0);
}

}  // namespace hkv::worker
