// Worker main loop and heartbeat thread.
#include "worker/worker_loop.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "common/strings.h"
#include "worker/worker_delivery.h"

namespace hkv::worker {
using loop_internal::Current;
using loop_internal::deliver;
using loop_internal::Deliverer;
using loop_internal::patiently;
using loop_internal::transient;

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

namespace {

// The heartbeat thread's loop: every period, tell the coordinator which task runs, its throughput
// and busy share; raise `cancelled` when the coordinator says the task is no longer this worker's.
void heartbeat_loop(CoordinatorClient& client,
                    const std::string& id,
                    const WorkerOptions& options,
                    int64_t period_ms,
                    const std::atomic<bool>& stop,
                    Current& cur,
                    std::atomic<bool>& cancelled) {
  std::unique_lock<std::mutex> lock(cur.mu);
  while (!cur.done) {
    cur.cv.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(50, period_ms)));
    if (cur.done) {
      break;
    }
    v1::HeartbeatRequest hb;
    hb.set_worker_id(id);
    if (!cur.held.empty()) {
      hb.set_task_id(cur.held[0].first);
      hb.set_attempt(cur.held[0].second);
    }
    for (size_t i = 1; i < cur.held.size(); ++i) {
      v1::TaskRef* ref = hb.add_other_tasks();
      ref->set_task_id(cur.held[i].first);
      ref->set_attempt(cur.held[i].second);
    }
    hb.set_tokens_per_second(cur.tokens_per_second);
    hb.set_busy_fraction(cur.busy.take_fraction(BusyMeter::Clock::now()));
    hb.set_draining(stop.load());
    lock.unlock();
    hb.set_memory_used_bytes(options.memory_used ? std::max<int64_t>(0, options.memory_used()) : 0);
    if (options.gpu_busy) {
      if (std::optional<double> gpu = options.gpu_busy()) {
        hb.set_gpu_busy_fraction(*gpu);
      }
    }
    auto reply = client.heartbeat(hb);
    lock.lock();
    if (!reply.ok()) {
      HKV_LOG(kWarning, "worker", "heartbeat: %s", reply.status().to_string().c_str());
    } else {
      std::vector<int64_t> lost(reply->cancel_task_ids().begin(), reply->cancel_task_ids().end());
      if (reply->cancel_current_task() && hb.task_id() != 0) {
        lost.push_back(hb.task_id());
      }
      // Tasks of one lease run as one batch: losing any of them stops the batch (its other tasks
      // are reported as cancelled and go back to the queue).
      for (int64_t t : lost) {
        // The attempt this heartbeat named (a later attempt of the task is another lease).
        int32_t attempt = hb.task_id() == t ? hb.attempt() : 0;
        for (const v1::TaskRef& ref : hb.other_tasks()) {
          attempt = ref.task_id() == t ? ref.attempt() : attempt;
        }
        const std::pair<int64_t, int32_t> task(t, attempt);
        if (std::find(cur.running.begin(), cur.running.end(), task) != cur.running.end()) {
          cancelled = true;
        } else {
          cur.lost.push_back(task);
        }
      }
    }
  }
}

// Holds a lease's tasks: heartbeats renew them from now until their reports are answered. A new
// attempt of a task still held (its failed report being answered) replaces the old one.
void hold(const std::vector<v1::Task>& tasks, Current& cur) {
  std::lock_guard<std::mutex> lock(cur.mu);
  for (const v1::Task& t : tasks) {
    std::erase_if(cur.held, [&](const auto& h) { return h.first == t.task_id(); });
    cur.held.emplace_back(t.task_id(), t.attempt());
  }
}

// Runs one held lease's tasks and fills their reports. Tasks the coordinator took back before
// they started are let go unrun (no report). The tasks stay held (heartbeats keep renewing their
// leases) until the caller has handed each report over.
std::vector<v1::ReportResultRequest> run_tasks(std::vector<v1::Task> tasks,
                                               const std::string& id,
                                               const BatchExecutor& execute,
                                               Current& cur,
                                               std::atomic<bool>& cancelled) {
  {
    // One critical section with the heartbeat thread: a take-back lands either in `lost` before
    // the batch is published, or on the running batch as a cancellation.
    std::lock_guard<std::mutex> lock(cur.mu);
    auto gone = [&](int64_t task_id, int32_t attempt) {
      return std::find(cur.lost.begin(), cur.lost.end(), std::pair(task_id, attempt)) !=
             cur.lost.end();
    };
    std::erase_if(tasks, [&](const v1::Task& t) {
      if (!gone(t.task_id(), t.attempt())) {
        return false;
      }
      HKV_LOG(kInfo, "worker", "task=%lld attempt=%d: taken back before it started; not run",
              static_cast<long long>(t.task_id()), t.attempt());
      return true;
    });
    std::erase_if(cur.held, [&](const auto& h) { return gone(h.first, h.second); });
    // What is left in `lost` still names a held task (a lease taken ahead) or nothing.
    std::erase_if(cur.lost, [&](const auto& l) {
      return std::find(cur.held.begin(), cur.held.end(), l) == cur.held.end();
    });
    if (tasks.empty()) {
      return {};
    }
    cancelled = false;
    cur.running.clear();
    for (const v1::Task& t : tasks) {
      cur.running.emplace_back(t.task_id(), t.attempt());
    }
    cur.busy.task_started(BusyMeter::Clock::now());
  }
  std::vector<v1::ReportResultRequest> reports(tasks.size());
  auto start = std::chrono::steady_clock::now();
  std::vector<Status> statuses = execute(tasks, cancelled, &reports);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (statuses.size() != tasks.size() || reports.size() != tasks.size()) {
    Status bad = errorf(StatusCode::kInternal,
                        "the executor returned %zu statuses and %zu reports for %zu tasks",
                        statuses.size(), reports.size(), tasks.size());
    statuses.assign(tasks.size(), bad);
    reports.assign(tasks.size(), v1::ReportResultRequest());
  }
  int64_t tokens = 0;
  const std::string batch = tasks.size() > 1 ? strformat(" (batch of %zu)", tasks.size()) : "";
  for (size_t i = 0; i < tasks.size(); ++i) {
    const v1::Task& t = tasks[i];
    const Status& st = statuses[i];
    v1::ReportResultRequest& report = reports[i];
    report.set_worker_id(id);
    report.set_task_id(t.task_id());
    report.set_attempt(t.attempt());
    report.set_ok(st.ok());
    if (!st.ok()) {
      report.clear_results();
      report.set_error(st.to_string());
      report.set_retryable(is_retryable(st));
    } else {
      tokens += report.prompt_tokens();
      for (const v1::ConfigResult& c : report.results()) {
        tokens += c.new_tokens();
      }
    }
    HKV_LOG(kInfo, "worker", "task=%lld attempt=%d %s/%s %s in %.1f s%s%s%s",
            static_cast<long long>(t.task_id()), t.attempt(), t.dataset().c_str(),
            t.sample_key().c_str(), st.ok() ? "done" : "failed", seconds, batch.c_str(),
            st.ok() ? "" : ": ", st.ok() ? "" : st.message().c_str());
  }
  std::lock_guard<std::mutex> lock(cur.mu);
  cur.running.clear();
  cur.busy.task_ended(BusyMeter::Clock::now());
  if (tokens > 0 && seconds > 0) {
    cur.tokens_per_second = static_cast<double>(tokens) / seconds;
  }
  return reports;
}

}  // namespace

BatchExecutor one_by_one(TaskExecutor execute) {
  return [execute = std::move(execute)](const std::vector<v1::Task>& tasks,
                                        const std::atomic<bool>& cancelled,
                                        std::vector<v1::ReportResultRequest>* reports) {
    std::vector<Status> out;
    reports->resize(tasks.size());
    for (size_t i = 0; i < tasks.size(); ++i) {
      out.push_back(execute(tasks[i], cancelled, &(*reports)[i]));
    }
    return out;
  };
}

Status run_worker(const WorkerOptions& o,
                  const BatchExecutor& execute,
                  const std::atomic<bool>& stop) {
  HKV_ASSIGN_OR_RETURN(std::unique_ptr<CoordinatorClient> client,
                       CoordinatorClient::connect(o.client));
  HKV_ASSIGN_OR_RETURN(ReportSpool spool,
                       ReportSpool::open(o.spool_dir.empty() ? default_spool_dir() : o.spool_dir));
  HKV_ASSIGN_OR_RETURN(v1::RegisterWorkerResponse reg, patiently(o, stop, "registering", [&] {
                         return client->register_worker(o.info);
                       }));
  const std::string id = reg.worker_id();
  HKV_LOG(kInfo, "worker", "registered as %s (%s), heartbeat %lld ms", id.c_str(),
          o.info.device().c_str(), static_cast<long long>(reg.heartbeat_period_ms()));
  // Results a previous process finished but could not deliver.
  for (const auto& [path, report] : spool.pending()) {
    HKV_LOG(kInfo, "worker", "delivering spooled result of task %lld attempt %d (%s)",
            static_cast<long long>(report.task_id()), report.attempt(), path.c_str());
    deliver(*client, o, stop, path, report);
  }
  Current cur;
  std::atomic<bool> cancelled{false};
  std::thread beat(
      [&] { heartbeat_loop(*client, id, o, reg.heartbeat_period_ms(), stop, cur, cancelled); });
  Status result;
  Deliverer deliverer(*client, o, stop, spool, cur);
  const int32_t per_lease = std::max(1, o.batch_tasks);
  // The next lease, taken and prepared on `ahead` while the current one runs (prepare_ahead).
  std::vector<v1::Task> next;
  std::thread ahead;
  while (true) {
    std::vector<v1::Task> tasks;
    if (ahead.joinable()) {
      ahead.join();
      tasks = std::move(next);
      next.clear();
    }
    if (tasks.empty()) {
      if (stop.load()) {
        break;
      }
      auto pulled = patiently(o, stop, "asking for a task",
                              [&] { return client->pull_tasks(id, per_lease); });
      if (!pulled.ok()) {
        if (!transient(pulled.status())) {
          result = pulled.status();
        }
        break;
      }
      if (pulled->empty()) {
        bool reporting = false;
        {
          std::lock_guard<std::mutex> lock(cur.mu);
          reporting = !cur.held.empty();
        }
        if (reporting) {
          // A report still on its way may send its task back to the queue (a retryable
          // failure): ask again once it is answered.
          deliverer.wait_idle();
          continue;
        }
        if (o.exit_when_idle) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(o.idle_poll_ms));
        continue;
      }
      tasks = *std::move(pulled);
      hold(tasks, cur);
    }
    if (o.prepare_ahead && !stop.load()) {
      // One try: an unreachable coordinator is waited out by the pull above, not here.
      ahead = std::thread([&] {
        if (stop.load()) {
          return;  // draining: no new lease
        }
        auto pulled = client->pull_tasks(id, per_lease);
        if (pulled.ok() && !pulled->empty()) {
          hold(*pulled, cur);
          o.prepare_ahead(*pulled);
          next = *std::move(pulled);
        }
      });
    }
    for (v1::ReportResultRequest& report :
         run_tasks(std::move(tasks), id, execute, cur, cancelled)) {
      deliverer.push(std::move(report));
    }
  }
  deliverer.finish();  // every finished report is handed over (or spooled) before we leave
  {
    std::lock_guard<std::mutex> lock(cur.mu);
    cur.done = true;
  }
  cur.cv.notify_all();
  beat.join();
  return result;
}

}  // namespace hkv::worker
