// Worker main loop and heartbeat thread.
#include "worker/worker_loop.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/logging.h"

namespace hkv::worker {
namespace {

// State shared with the heartbeat thread.
struct Current {
  std::mutex mu;
  std::condition_variable cv;
  int64_t task_id = 0;
  int32_t attempt = 0;
  double tokens_per_second = 0.0;
  bool done = false;
};

}  // namespace

bool is_retryable(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kUnimplemented:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
    case StatusCode::kDataLoss:
      return false;
    default:
      return true;
  }
}

Status run_worker(const WorkerOptions& o,
                  const TaskExecutor& execute,
                  const std::atomic<bool>& stop) {
  HKV_ASSIGN_OR_RETURN(std::unique_ptr<CoordinatorClient> client,
                       CoordinatorClient::connect(o.client));
  HKV_ASSIGN_OR_RETURN(v1::RegisterWorkerResponse reg, client->register_worker(o.info));
  const std::string id = reg.worker_id();
  HKV_LOG(kInfo, "worker", "registered as %s (%s), heartbeat %lld ms", id.c_str(),
          o.info.device().c_str(), static_cast<long long>(reg.heartbeat_period_ms()));
  Current cur;
  std::atomic<bool> cancelled{false};
  std::thread beat([&] {
    std::unique_lock<std::mutex> lock(cur.mu);
    while (!cur.done) {
      cur.cv.wait_for(lock,
                      std::chrono::milliseconds(std::max<int64_t>(50, reg.heartbeat_period_ms())));
      if (cur.done)
        break;
      v1::HeartbeatRequest hb;
      hb.set_worker_id(id);
      hb.set_task_id(cur.task_id);
      hb.set_attempt(cur.attempt);
      hb.set_tokens_per_second(cur.tokens_per_second);
      hb.set_draining(stop.load());
      lock.unlock();
      auto reply = client->heartbeat(hb);
      lock.lock();
      if (!reply.ok()) {
        HKV_LOG(kWarning, "worker", "heartbeat: %s", reply.status().to_string().c_str());
      } else if (reply->cancel_current_task() && cur.task_id != 0) {
        cancelled = true;
      }
    }
  });
  Status result;
  while (!stop.load()) {
    auto task = client->pull_task(id);
    if (!task.ok()) {
      result = task.status();
      break;
    }
    if (!task->has_value()) {
      if (o.exit_when_idle)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(o.idle_poll_ms));
      continue;
    }
    const v1::Task& t = **task;
    {
      std::lock_guard<std::mutex> lock(cur.mu);
      cur.task_id = t.task_id();
      cur.attempt = t.attempt();
    }
    cancelled = false;
    v1::ReportResultRequest report;
    auto start = std::chrono::steady_clock::now();
    Status st = execute(t, cancelled, &report);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.set_worker_id(id);
    report.set_task_id(t.task_id());
    report.set_attempt(t.attempt());
    report.set_ok(st.ok());
    if (!st.ok()) {
      report.clear_results();
      report.set_error(st.to_string());
      report.set_retryable(is_retryable(st));
    }
    HKV_LOG(kInfo, "worker", "task=%lld attempt=%d %s/%s %s in %.1f s%s%s",
            static_cast<long long>(t.task_id()), t.attempt(), t.dataset().c_str(),
            t.sample_key().c_str(), st.ok() ? "done" : "failed", seconds, st.ok() ? "" : ": ",
            st.ok() ? "" : st.message().c_str());
    auto reply = client->report(report);
    {
      std::lock_guard<std::mutex> lock(cur.mu);
      cur.task_id = 0;
      cur.attempt = 0;
    }
    if (!reply.ok()) {
      result = reply.status();
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cur.mu);
    cur.done = true;
  }
  cur.cv.notify_all();
  beat.join();
  return result;
}

}  // namespace hkv::worker
