// `headkv run`: an embedded coordinator and one local worker per device in one process, the
// sweep's progress while it runs, and its tables at the end.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "cli/local_worker.h"
#include "cli/sweep_check.h"
#include "cli/sweep_client.h"
#include "common/mapped_file.h"
#include "common/strings.h"
#include "coordinator/server.h"
#include "model/engine.h"
#include "model/gpu_utilization.h"
#include "results/result_tables.h"
#include "worker/task_executor.h"
#include "worker/task_runner.h"

namespace hkv::cli {

using results::FailedTask;
using results::failure_summary_text;

int run_local_sweep(const RunOptions& o) {
  auto text = read_file_to_string(o.sweep_file);
  if (!text.ok()) {
    return sweep_fail("run", text.status());
  }
  // Nothing is queued (no state file, no output folder) unless every data file is usable.
  Status checked = check_sweep_text(*text, o.sweep_file, {o.data_dir, true, false});
  if (!checked.ok()) {
    return sweep_fail("run", checked);
  }
  auto resolved = model::expand_devices(o.device, o.tp);
  if (!resolved.ok()) {
    return sweep_fail("run", resolved.status());
  }
  std::vector<std::string> devices = *resolved;
  if (devices == std::vector<std::string>{"cpu"}) {  // CPU: --workers threads
    devices.assign(static_cast<size_t>(std::max(o.workers, 1)), "cpu");
  }
  std::filesystem::create_directories(o.out_dir);
  coordinator::ServerOptions so;
  so.db_path = o.out_dir + "/sweep.db";
  so.token =
      strformat("local-%d-%lld", getpid(), static_cast<long long>(coordinator::system_now_ms()));
  so.scheduler = {1000, 600000, 2};
  if (o.http_port >= 0) {
    so.http = coordinator::HttpOptions{"127.0.0.1", o.http_port, "", false};
  }
  auto server = coordinator::CoordinatorServer::start(so);
  if (!server.ok()) {
    return sweep_fail("run", server.status());
  }
  if ((*server)->http_port() > 0) {
    // The run's random token, readable by this user only, to sign in to the dashboard.
    const std::string token_file = o.out_dir + "/dashboard-token";
    Status st = results::write_text_file(token_file, so.token + "\n");
    if (st.ok()) {
      std::filesystem::permissions(
          token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    std::printf("dashboard: http://127.0.0.1:%d/ (token in %s)\n", (*server)->http_port(),
                token_file.c_str());
  }
  ConnectionOptions conn{"127.0.0.1:" + std::to_string((*server)->port()), so.token, "", ""};
  auto client = connect_client(conn);
  if (!client.ok()) {
    return sweep_fail("run", client.status());
  }
  auto sub = (*client)->submit(*text, o.sweep_file);
  if (!sub.ok()) {
    return sweep_fail("run", sub.status());
  }
  std::printf("sweep %lld: %lld tasks x %lld configs, %d local worker(s), state in %s\n",
              static_cast<long long>(sub->sweep_id()), static_cast<long long>(sub->num_tasks()),
              static_cast<long long>(sub->num_configs()), static_cast<int>(devices.size()),
              so.db_path.c_str());
  std::signal(SIGINT, stop_on_signal);
  // Every worker's runner and GPU meter exist before the first thread starts (the threads index
  // these vectors); each thread reads its GPU's busy share over the run as soon as it ends.
  std::vector<std::unique_ptr<worker::TaskRunner>> runners;
  std::vector<std::shared_ptr<model::GpuUtilization>> meters;
  std::vector<std::optional<double>> gpu_busy(devices.size());
  std::vector<LocalWorker> specs;
  for (const std::string& device : devices) {
    specs.push_back({device, o.dtype, o.tp, o.data_dir, o.batch});
    meters.push_back(gpu_busy_meter(device));
    runners.push_back(std::make_unique<worker::TaskRunner>(local_runner_options(specs.back())));
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back([&, i] {
      worker::WorkerOptions wo = local_worker_options(specs[i], runners[i].get(), meters[i]);
      wo.client = {conn.coordinator, so.token, ""};
      wo.exit_when_idle = true;
      wo.spool_dir = o.out_dir + "/spool";
      Status st =
          worker::run_worker(wo, worker::make_batch_executor(runners[i].get()), sweep_stop());
      if (!st.ok()) {
        std::fprintf(stderr, "worker %zu: %s\n", i, st.to_string().c_str());
      }
      if (meters[i] != nullptr) {
        (void)meters[i]->take_fraction();  // the samples since the last heartbeat
        gpu_busy[i] = meters[i]->overall_fraction();
      }
    });
  }
  std::atomic<bool> done{false};
  std::thread progress([&] {
    while (!done) {
      auto p = (*client)->get_sweep(sub->sweep_id());
      if (p.ok()) {
        print_progress(*p);
      }
      for (int t = 0; t < 50 && !done; ++t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });
  for (auto& t : threads) {
    t.join();
  }
  done = true;
  progress.join();
  for (size_t i = 0; i < devices.size(); ++i) {
    std::printf("worker %s: %s\n", devices[i].c_str(), phase_summary(*runners[i]).c_str());
    if (gpu_busy[i]) {
      std::printf("worker %s: GPU busy %.1f%% of the run (the driver's utilization samples)\n",
                  devices[i].c_str(), 100.0 * *gpu_busy[i]);
    }
  }
  auto p = (*client)->get_sweep(sub->sweep_id());
  if (p.ok()) {
    print_progress(*p);
  }
  ResultsOptions ro{conn, sub->sweep_id(), "md", o.out_dir};
  std::vector<FailedTask> failed;
  Status st = print_results(ro, &failed);
  if (!st.ok()) {
    return sweep_fail("run", st);
  }
  std::printf(
      "tables written to %s/ (tables.md, tables.csv, tables.json, needle_*.svg, heads_*.json)\n",
      o.out_dir.c_str());
  if (!failed.empty()) {
    std::fprintf(stderr, "headkv run: %s", failure_summary_text(failed).c_str());
    return 1;
  }
  if (p.ok() && p->tasks_succeeded() != p->tasks_total()) {
    std::fprintf(stderr, "headkv run: %lld of %lld task(s) did not finish (interrupted)\n",
                 static_cast<long long>(p->tasks_total() - p->tasks_succeeded()),
                 static_cast<long long>(p->tasks_total()));
    return 1;
  }
  return 0;
}

}  // namespace hkv::cli
