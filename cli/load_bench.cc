// Latencies are wall-clock per RPC (steady_clock) as the client sees them, deadline included.
#include "cli/load_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "common/timing.h"
#include "coordinator/server.h"
#include "worker/coordinator_client.h"

namespace hkv::cli {
namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int64_t peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  return -1;
}

int64_t files_bytes(const std::string& db) {
  int64_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    auto n = std::filesystem::file_size(db + suffix, ec);
    total += ec ? 0 : static_cast<int64_t>(n);
  }
  return total;
}

// A needle grid of about `tasks` units: 10 haystack names x L lengths x 10 depths, each unit with
// `configs` configs (FullKV alone, or SnapKV at budgets 64, 128, ...).
std::string sweep_text(int64_t tasks, int32_t configs) {
  const int64_t lengths = std::max<int64_t>(1, tasks / 100);
  std::string methods = "{method: FullKV}";
  if (configs > 1) {
    methods = "{method: SnapKV, budgets: [";
    for (int32_t i = 1; i <= configs; ++i) {
      methods += strformat("%s%d", i > 1 ? ", " : "", 64 * i);
    }
    methods += "]}";
  }
  std::string datasets;
  for (int i = 0; i < 10; ++i) {
    datasets += strformat("%sh%d", i ? ", " : "", i);
  }
  return strformat(
      "name: load\nmodel: /load/model.gguf\nbenchmarks:\n  - {benchmark: needle, datasets: [%s], "
      "lengths: {start: 1, stop: %lld, step: 1}, depths: 10}\nmethods: [%s]\n",
      datasets.c_str(), static_cast<long long>(lengths), methods.c_str());
}

}  // namespace

int run_load_bench(const LoadBenchOptions& o) {
  const bool temp = o.dir.empty();
  const std::string dir =
      temp ? (std::filesystem::temp_directory_path() / strformat("hkv-load-%d", getpid())).string()
           : o.dir;
  std::filesystem::create_directories(dir);
  coordinator::ServerOptions so;
  so.db_path = dir + "/load.db";
  so.token = "load";
  so.scheduler = {/*heartbeat_period_ms=*/10'000, /*lease_timeout_ms=*/600'000, 3};
  // In process, unless --coordinator names one (another process, e.g. on its own CPU cores).
  std::unique_ptr<coordinator::CoordinatorServer> server;
  std::string target = o.coordinator;
  std::string token = "load";
  if (target.empty()) {
    auto started = coordinator::CoordinatorServer::start(so);
    if (!started.ok()) {
      std::fprintf(stderr, "headkv load-bench: %s\n", started.status().to_string().c_str());
      return 1;
    }
    server = std::move(started).value();
    target = "127.0.0.1:" + std::to_string(server->port());
  } else if (const char* env = std::getenv("HEADKV_TOKEN"); env != nullptr) {
    token = env;
  }
  worker::ClientOptions co{target, token, ""};
  co.deadline_ms = 60'000;
  auto submitter = worker::CoordinatorClient::connect(co);
  const std::string text = sweep_text(o.tasks, o.configs);
  auto t0 = Clock::now();
  auto sub = (*submitter)->submit(text, "load.yaml");
  const double submit_ms = ms_since(t0);
  if (!sub.ok()) {
    std::fprintf(stderr, "headkv load-bench: submit: %s\n", sub.status().to_string().c_str());
    return 1;
  }
  std::printf("submitted %lld tasks in %.1f s; %d workers for %d s ...\n",
              static_cast<long long>(sub->num_tasks()), submit_ms / 1000, o.workers, o.seconds);
  std::fflush(stdout);
  // A large submit leaves its pages in the WAL; the background checkpoint copies them while the
  // workers start unless they wait (--settle-seconds).
  std::this_thread::sleep_for(std::chrono::seconds(o.settle_seconds));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reports{0}, errors{0};
  std::atomic<int32_t> finished{0};
  std::mutex mu;
  std::vector<double> lease_ms, report_ms;
  std::vector<std::thread> threads;
  for (int w = 0; w < o.workers; ++w) {
    threads.emplace_back([&, w] {
      auto client = worker::CoordinatorClient::connect(co);
      v1::WorkerInfo info;
      info.set_hostname("load");
      info.set_device(strformat("sim:%d", w));
      info.set_instance_id(worker::random_request_id());
      auto reg = (*client)->register_worker(info);
      if (!reg.ok()) {
        ++errors;
        ++finished;
        return;
      }
      std::vector<double> mine, mine_reports;
      std::mt19937_64 rng(static_cast<uint64_t>(w) + 1);
      while (!stop.load()) {
        auto t = Clock::now();
        auto task = (*client)->pull_task(reg->worker_id());
        mine.push_back(ms_since(t));
        if (!task.ok() || !task->has_value()) {
          errors += task.ok() ? 0 : 1;
          break;
        }
        // The simulated task: "prefill and decode" for 0.5x to 1.5x --work-ms (real tasks
        // differ in length, so workers do not stay in lock step), cut short when the run ends.
        const auto work = std::chrono::microseconds(static_cast<int64_t>(
            o.work_ms * 1000.0 * std::uniform_real_distribution(0.5, 1.5)(rng)));
        const auto work_end = Clock::now() + work;
        while (!stop.load() && Clock::now() < work_end) {
          std::this_thread::sleep_for(
              std::min<Clock::duration>(work_end - Clock::now(), std::chrono::milliseconds(50)));
        }
        v1::ReportResultRequest r;
        r.set_worker_id(reg->worker_id());
        r.set_task_id((*task)->task_id());
        r.set_attempt((*task)->attempt());
        r.set_ok(true);
        for (int i = 0; i < (*task)->configs_size(); ++i) {
          v1::ConfigResult* c = r.add_results();
          c->set_config_index(i);
          c->set_prediction("simulated");
          c->set_score(1.0);
        }
        t = Clock::now();
        auto rep = (*client)->report(r);
        mine_reports.push_back(ms_since(t));
        rep.ok() ? ++reports : ++errors;
      }
      ++finished;
      std::lock_guard<std::mutex> lock(mu);
      lease_ms.insert(lease_ms.end(), mine.begin(), mine.end());
      report_ms.insert(report_ms.end(), mine_reports.begin(), mine_reports.end());
    });
  }
  t0 = Clock::now();
  // Until --seconds pass or every worker found the queue empty.
  const auto run_end = t0 + std::chrono::seconds(o.seconds);
  while (Clock::now() < run_end && finished.load() < o.workers) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  const double run_s = ms_since(t0) / 1000;
  const int64_t db_bytes = server ? files_bytes(so.db_path) : -1;
  const double rpc_per_s = static_cast<double>(lease_ms.size() + report_ms.size()) / run_s;
  std::printf(
      "| tasks | submit | workers | work | RPC/s | leases | lease p50 | lease p99 | lease max | "
      "report p50 | report p99 | reports/s | errors | db size | peak RSS |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
      "| %lld | %.1f s | %d | %d ms | %.0f | %zu | %.2f ms | %.2f ms | %.1f ms | %.2f ms | %.2f ms "
      "| "
      "%.0f | %lld | %s | %s |\n",
      static_cast<long long>(sub->num_tasks()), submit_ms / 1000, o.workers, o.work_ms, rpc_per_s,
      lease_ms.size(), percentile(lease_ms, 0.50), percentile(lease_ms, 0.99),
      percentile(lease_ms, 1.0), percentile(report_ms, 0.50), percentile(report_ms, 0.99),
      static_cast<double>(reports.load()) / run_s, static_cast<long long>(errors.load()),
      db_bytes < 0 ? "(external)" : format_bytes(static_cast<uint64_t>(db_bytes)).c_str(),
      format_bytes(static_cast<uint64_t>(peak_rss_kib()) * 1024).c_str());
  if (server) {
    server->shutdown();
    server.reset();
  }
  if (temp) {
    std::filesystem::remove_all(dir);
  }
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace hkv::cli
