// Thin command wrappers over CoordinatorServer, the worker loop and CoordinatorClient: coordinator,
// worker, submit, status, workers, results and cancel (`run` is in local_sweep.cc).
#include "cli/sweep_commands.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/local_worker.h"
#include "cli/sweep_check.h"
#include "cli/sweep_client.h"
#include "common/mapped_file.h"
#include "common/strings.h"
#include "coordinator/server.h"
#include "model/engine.h"
#include "model/gpu_utilization.h"
#include "results/result_tables.h"
#include "worker/coordinator_client.h"
#include "worker/task_executor.h"
#include "worker/task_runner.h"

namespace hkv::cli {

using results::FailedTask;
using results::failure_summary_text;

int run_coordinator(const CoordinatorOptions& o) {
  auto token = coordinator::resolve_token(o.token, o.token_file);
  if (!token.ok()) {
    return sweep_fail("coordinator", token.status());
  }
  coordinator::ServerOptions so;
  so.db_path = o.db;
  so.listen_address = o.host + ":" + std::to_string(o.port);
  so.token = *token;
  so.tls_cert_file = o.tls_cert;
  so.tls_key_file = o.tls_key;
  so.scheduler = {o.heartbeat_ms, o.lease_timeout_ms, o.max_attempts};
  if (o.http_port >= 0) {
    so.http = coordinator::HttpOptions{o.host, o.http_port, "", o.metrics_public};
  }
  auto server = coordinator::CoordinatorServer::start(so);
  if (!server.ok()) {
    return sweep_fail("coordinator", server.status());
  }
  std::printf("coordinator listening on %s:%d (db %s)\n", o.host.c_str(), (*server)->port(),
              o.db.c_str());
  if ((*server)->http_port() > 0) {
    std::printf("dashboard: http://%s:%d/ (sign in with the token), /api, /metrics\n",
                o.host.c_str(), (*server)->http_port());
  }
  std::fflush(stdout);
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);
  while (!sweep_stop()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*server)->shutdown();
  return 0;
}

int run_worker_cli(const WorkerCliOptions& o) {
  auto token = coordinator::resolve_token(o.conn.token, o.conn.token_file);
  if (!token.ok()) {
    return sweep_fail("worker", token.status());
  }
  auto devices = model::expand_devices(o.device, o.tp);
  if (!devices.ok()) {
    return sweep_fail("worker", devices.status());
  }
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);  // drain: finish and report the current task, then exit
  std::vector<std::thread> threads;
  std::vector<Status> results(devices->size());
  for (size_t i = 0; i < devices->size(); ++i) {
    threads.emplace_back([&, i] {
      const LocalWorker spec{(*devices)[i], o.dtype, o.tp, o.data_dir, o.batch};
      worker::TaskRunner runner(local_runner_options(spec));
      worker::WorkerOptions wo = local_worker_options(spec, &runner, gpu_busy_meter(spec.device));
      wo.client = {o.conn.coordinator, *token, o.conn.tls_ca};
      wo.exit_when_idle = o.exit_when_idle;
      wo.spool_dir = o.spool_dir;
      results[i] = worker::run_worker(wo, worker::make_batch_executor(&runner), sweep_stop());
      std::fprintf(stderr, "worker %s: %s\n", (*devices)[i].c_str(), phase_summary(runner).c_str());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int rc = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      rc = sweep_fail("worker", results[i].with_context("%s", (*devices)[i].c_str()));
    }
  }
  return rc;
}

int run_submit(const SubmitOptions& o) {
  const ConnectionOptions& c = o.conn;
  const std::string& file = o.sweep_file;
  auto text = read_file_to_string(file);
  if (!text.ok()) {
    return sweep_fail("submit", text.status());
  }
  if (!o.skip_data_check) {
    Status checked = check_sweep_text(*text, file, {o.data_dir, true, false});
    if (!checked.ok()) {
      return sweep_fail("submit", checked);
    }
  }
  auto client = connect_client(c);
  if (!client.ok()) {
    return sweep_fail("submit", client.status());
  }
  auto r = (*client)->submit(*text, file);
  if (!r.ok()) {
    return sweep_fail("submit", r.status());
  }
  std::printf("sweep %lld: %lld tasks x %lld configs\n", static_cast<long long>(r->sweep_id()),
              static_cast<long long>(r->num_tasks()), static_cast<long long>(r->num_configs()));
  return 0;
}

int run_status(const ConnectionOptions& c, std::optional<int64_t> sweep, bool watch) {
  auto client = connect_client(c);
  if (!client.ok()) {
    return sweep_fail("status", client.status());
  }
  do {
    auto sweeps = (*client)->list_sweeps();
    if (!sweeps.ok()) {
      return sweep_fail("status", sweeps.status());
    }
    for (const auto& p : sweeps->sweeps()) {
      if (!sweep || p.sweep_id() == *sweep) {
        print_progress(p);
      }
    }
    auto workers = (*client)->list_workers();
    if (!workers.ok()) {
      return sweep_fail("status", workers.status());
    }
    for (const auto& w : workers->workers()) {
      const std::string gpu_busy = w.has_gpu_busy_fraction()
                                       ? strformat(" (GPU %.0f%%)", 100.0 * w.gpu_busy_fraction())
                                       : "";
      std::printf(
          "  worker %-28s %-8s %-8s task %-6lld %.1f tok/s (last task), busy %3.0f%%%s, memory %s, "
          "%lld prefills\n",
          w.worker().worker_id().c_str(), w.worker().device().c_str(), w.state().c_str(),
          static_cast<long long>(w.current_task_id()), w.tokens_per_second(),
          100.0 * w.busy_fraction(), gpu_busy.c_str(),
          format_bytes(static_cast<uint64_t>(std::max<int64_t>(0, w.memory_used_bytes()))).c_str(),
          static_cast<long long>(w.prefills()));
    }
    if (watch) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  } while (watch && !sweep_stop());
  return 0;
}

int run_workers(const ConnectionOptions& c) {
  return run_status(c, -1, false);
}

int run_results(const ResultsOptions& o) {
  std::vector<FailedTask> failed;
  Status st = print_results(o, &failed);
  if (!st.ok()) {
    return sweep_fail("results", st);
  }
  if (!failed.empty()) {
    std::fprintf(stderr, "headkv results: %s", failure_summary_text(failed).c_str());
  }
  return 0;
}

int run_cancel(const ConnectionOptions& c, int64_t sweep) {
  auto client = connect_client(c);
  if (!client.ok()) {
    return sweep_fail("cancel", client.status());
  }
  auto r = (*client)->cancel(sweep);
  if (!r.ok()) {
    return sweep_fail("cancel", r.status());
  }
  std::printf("sweep %lld: %lld task(s) cancelled\n", static_cast<long long>(sweep),
              static_cast<long long>(r->tasks_cancelled()));
  return 0;
}

}  // namespace hkv::cli
