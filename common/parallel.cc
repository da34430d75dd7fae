// The pool: threads() - 1 workers plus the caller. A job is published under a mutex with a
// generation number; every thread (the caller included) claims chunks from an atomic counter until
// none is left, and the caller waits until every thread that joined has left the job. One job at a
// time: a second caller waits for the first; a nested call runs inline.
#include "common/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace hkv {
namespace {

thread_local bool t_inside_job = false;  // this thread is running a parallel_for body

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) {
      workers_.emplace_back([this] { work(); });
    }
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) {
      t.join();
    }
  }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void run(int64_t chunks, const std::function<void(int64_t)>& chunk) {
    std::lock_guard<std::mutex> one_job(job_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &chunk;
      chunks_ = chunks;
      next_.store(0);
      active_ = 1;  // the caller
      ++generation_;
    }
    wake_.notify_all();
    drain(chunk, chunks);
    std::unique_lock<std::mutex> lock(mu_);
    --active_;
    job_ = nullptr;  // workers that have not joined yet skip this job
    finished_.wait(lock, [&] { return active_ == 0; });
  }

 private:
  void drain(const std::function<void(int64_t)>& chunk, int64_t chunks) {
    t_inside_job = true;
    for (int64_t i = next_.fetch_add(1); i < chunks; i = next_.fetch_add(1)) {
      chunk(i);
    }
    t_inside_job = false;
  }

  void work() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) {
        return;
      }
      seen = generation_;
      if (job_ == nullptr) {
        continue;  // the job already ended
      }
      const std::function<void(int64_t)>* job = job_;
      const int64_t chunks = chunks_;
      ++active_;
      lock.unlock();
      drain(*job, chunks);
      lock.lock();
      if (--active_ == 0) {
        finished_.notify_one();
      }
    }
  }

  std::mutex job_mu_;  // one job at a time
  std::mutex mu_;
  std::condition_variable wake_, finished_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t chunks_ = 0;
  std::atomic<int64_t> next_{0};
  int active_ = 0;  // threads inside the current job
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool instance(parallel_threads());
  return instance;
}

}  // namespace

int parallel_threads() {
  static const int threads = [] {
    if (const char* env = std::getenv("HEADKV_THREADS")) {
      const int n = std::atoi(env);
      if (n >= 1) {
        return n;
      }
    }
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return threads;
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) {
    return;
  }
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  if (chunks <= 1 || t_inside_job || parallel_threads() <= 1) {
    body(0, n);
    return;
  }
  const std::function<void(int64_t)> chunk = [&](int64_t i) {
    body(i * grain, std::min(n, (i + 1) * grain));
  };
  pool().run(chunks, chunk);
}

}  // namespace hkv
