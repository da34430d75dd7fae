// The worker loop's state shared between its threads, its retry helpers, and the thread that
// spools and delivers reports (worker_delivery.cc). Internal to worker/: only worker_loop.cc uses
// it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "worker/busy_meter.h"
#include "worker/report_spool.h"
#include "worker/worker_loop.h"

namespace hkv::worker::loop_internal {

// State shared with the heartbeat thread.
struct Current {
  std::mutex mu;
  std::condition_variable cv;
  // The tasks this worker holds, (task id, attempt), in lease order; heartbeats renew them all.
  // A task is held from its lease until the coordinator has answered its report.
  std::vector<std::pair<int64_t, int32_t>> held;
  std::vector<std::pair<int64_t, int32_t>> running;  // the batch the executor runs now
  // Held tasks (id, attempt) the coordinator took back while they were not running (leased
  // ahead, or reported): a lease's tasks among them are dropped unrun when it starts.
  std::vector<std::pair<int64_t, int32_t>> lost;
  // The last finished task's throughput: prompt plus generated tokens (all configs) per second
  // of the task's wall time. 0 until a task finished.
  double tokens_per_second = 0.0;
  BusyMeter busy{BusyMeter::Clock::now()};  // share of each heartbeat period spent on tasks
  bool done = false;
};

// An unreachable or overloaded coordinator: worth waiting out.
bool transient(const Status& s);

// Sleeps `ms` in short steps, returning early when `stop` turns true.
void nap(int64_t ms, const std::atomic<bool>& stop);

// Calls `call` until it succeeds or fails for a reason other than an unreachable coordinator,
// backing off 1 s, 2 s, ... up to max_backoff_ms; gives up only when `stop` is set.
template <typename Call>
auto patiently(const WorkerOptions& o, const std::atomic<bool>& stop, const char* what, Call call)
    -> decltype(call()) {
  int64_t backoff_ms = 1000;
  while (true) {
    auto r = call();
    if (r.ok() || !transient(r.status()) || stop.load()) {
      return r;
    }
    HKV_LOG(kWarning, "worker", "%s: %s; trying again in %lld s", what,
            r.status().message().c_str(), static_cast<long long>(backoff_ms / 1000));
    nap(backoff_ms, stop);
    backoff_ms = std::min(backoff_ms * 2, std::max<int64_t>(1000, o.max_backoff_ms));
  }
}

// Sends a spooled report until the coordinator answers; the file goes once it has. An answer that
// is an error other than unreachability (the report can never be accepted) is logged and dropped.
void deliver(CoordinatorClient& client,
             const WorkerOptions& o,
             const std::atomic<bool>& stop,
             const std::string& path,
             const v1::ReportResultRequest& report);

// Hands reports to the coordinator on its own thread, in order, so the next lease's tasks start
// while the coordinator records the previous ones. The same thread puts each report on disk (the
// spool, one fsync a report) before sending it, so the GPU does not wait for the disk between
// batches: an outage or a crash from then on loses nothing, and a crash before it loses no task
// either, since a task stays held (heartbeats renew its lease) until its report is answered and
// an expired lease goes back to the queue.
class Deliverer {
 public:
  Deliverer(CoordinatorClient& client,
            const WorkerOptions& o,
            const std::atomic<bool>& stop,
            ReportSpool& spool,
            Current& cur)
      : client_(client), o_(o), stop_(stop), spool_(spool), cur_(cur) {
    thread_ = std::thread([this] { loop(); });
  }

  ~Deliverer() { finish(); }

  void push(v1::ReportResultRequest report) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(report));
    cv_.notify_all();
  }

  // Waits until every queued report has been answered (or given up on while stopping).
  void wait_idle() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return queue_.empty() && !sending_; });
  }

  void finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) {
        return;
      }
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void loop();  // the thread: spool, send, release each queued report in order
  void send(const std::string& path, const v1::ReportResultRequest& report);

  CoordinatorClient& client_;
  const WorkerOptions& o_;
  const std::atomic<bool>& stop_;
  ReportSpool& spool_;
  Current& cur_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::ReportResultRequest> queue_;
  bool sending_ = false;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace hkv::worker::loop_internal
