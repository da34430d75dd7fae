// The worker loop's retry helpers and its report delivery thread (worker_delivery.h).
#include "worker/worker_delivery.h"

namespace hkv::worker::loop_internal {

bool transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kResourceExhausted;
}

void nap(int64_t ms, const std::atomic<bool>& stop) {
  for (int64_t slept = 0; slept < ms && !stop.load(); slept += 100) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(100, ms - slept)));
  }
}

void deliver(CoordinatorClient& client,
             const WorkerOptions& o,
             const std::atomic<bool>& stop,
             const std::string& path,
             const v1::ReportResultRequest& report) {
  auto reply = patiently(o, stop, "reporting a result", [&] { return client.report(report); });
  if (reply.ok()) {
    ReportSpool::remove(path);
    return;
  }
  if (transient(reply.status())) {
    HKV_LOG(kWarning, "worker", "stopping with task %lld's result unacknowledged: kept in %s",
            static_cast<long long>(report.task_id()), path.c_str());
    return;
  }
  HKV_LOG(kError, "worker", "task %lld attempt %d: the coordinator refused the result: %s",
          static_cast<long long>(report.task_id()), report.attempt(),
          reply.status().to_string().c_str());
  ReportSpool::remove(path);
}

void Deliverer::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;  // done, and nothing left to send
    }
    v1::ReportResultRequest report = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    Result<std::string> spooled = spool_.put(report);
    if (!spooled.ok()) {
      HKV_LOG(kError, "worker", "%s; sending without a spool copy",
              spooled.status().to_string().c_str());
    }
    send(spooled.ok() ? *spooled : std::string(), report);
    {
      std::lock_guard<std::mutex> held(cur_.mu);
      std::erase_if(cur_.held, [&](const auto& h) {
        return h == std::pair(report.task_id(), report.attempt());
      });
    }
    lock.lock();
    sending_ = false;
    cv_.notify_all();
  }
}

void Deliverer::send(const std::string& path, const v1::ReportResultRequest& report) {
  if (!path.empty()) {
    deliver(client_, o_, stop_, path, report);
    return;
  }
  auto reply = patiently(o_, stop_, "reporting a result", [&] { return client_.report(report); });
  if (!reply.ok()) {
    HKV_LOG(kError, "worker", "result lost: %s", reply.status().to_string().c_str());
  }
}

}  // namespace hkv::worker::loop_internal
