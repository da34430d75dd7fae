// The share of time a worker spends running tasks, per heartbeat period: what the coordinator
// shows as each worker's busy fraction (`headkv workers`). A task that spans several periods
// counts in each of them for the part that fell inside.
#pragma once

#include <chrono>
#include <optional>

namespace hkv::worker {

class BusyMeter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit BusyMeter(Clock::time_point now) : period_start_(now) {}

  // A task starts or ends at `now`.
  void task_started(Clock::time_point now);
  void task_ended(Clock::time_point now);

  // The busy share in [0, 1] since the previous call (or construction), and a new period starts.
  double take_fraction(Clock::time_point now);

 private:
  Clock::time_point period_start_;
  std::optional<Clock::time_point> task_start_;  // set while a task runs
  Clock::duration busy_{};                       // finished busy time inside the period
};

}  // namespace hkv::worker
