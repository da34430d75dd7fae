// Thin command wrappers over CoordinatorServer, the worker loop and CoordinatorClient.
#include "cli/sweep_commands.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "cli/local_worker.h"
#include "cli/sweep_check.h"
#include "common/mapped_file.h"
#include "common/strings.h"
#include "coordinator/proto_convert.h"
#include "coordinator/server.h"
#include "model/engine.h"
#include "model/gpu_utilization.h"
#include "proto/compression_convert.h"
#include "results/result_tables.h"
#include "results/tidy_results.h"
#include "worker/coordinator_client.h"
#include "worker/task_executor.h"
#include "worker/task_runner.h"

namespace hkv::cli {

using results::FailedTask;
using results::failure_summary_text;
using results::render_tables;
using results::render_tidy;
using results::RenderedTables;
using results::ResultRecord;
using results::TidyResults;
using results::write_records_jsonl;
using results::write_tables;
using results::write_text_file;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop = true;
}

int fail(const char* cmd, const Status& s) {
  std::fprintf(stderr, "headkv %s: %s\n", cmd, s.to_string().c_str());
  return 1;
}

Result<std::unique_ptr<worker::CoordinatorClient>> connect(const ConnectionOptions& c) {
  HKV_ASSIGN_OR_RETURN(std::string token, coordinator::resolve_token(c.token, c.token_file));
  worker::ClientOptions o{c.coordinator, token, c.tls_ca};
  o.max_retries = 3;
  return worker::CoordinatorClient::connect(o);
}

// The config's label; a config this build cannot read is named by its method string and error.
std::string config_label(const v1::CompressionConfig& c) {
  Result<compression::CompressionConfig> m = proto::from_proto(c);
  return m.ok() ? m->label() : c.method() + " (" + m.status().message() + ")";
}

Result<std::vector<ResultRecord>> to_records(const v1::GetResultsResponse& r) {
  std::vector<ResultRecord> out;
  for (const v1::ResultRow& row : r.rows()) {
    ResultRecord rec;
    HKV_ASSIGN_OR_RETURN(jobs::Benchmark benchmark, proto::from_proto(row.benchmark()));
    rec.benchmark = jobs::benchmark_name(benchmark);
    rec.dataset = row.dataset();
    rec.sample_key = row.sample_key();
    rec.config = config_label(row.config());
    if (Result<compression::CompressionConfig> c = proto::from_proto(row.config()); c.ok()) {
      rec.cfg = *std::move(c);
    }
    rec.references = {row.references().begin(), row.references().end()};
    rec.prediction = row.result().prediction();
    rec.score = row.result().score();
    rec.cache_bytes = row.result().cache_bytes();
    rec.prompt_tokens = row.prompt_tokens();
    rec.new_tokens = row.result().new_tokens();
    rec.prefill_ms = row.prefill_ms();
    rec.decode_ms = row.result().decode_ms();
    if (row.result().has_head_scores()) {
      rec.head_scores = proto::from_proto(row.result().head_scores());
    }
    out.push_back(std::move(rec));
  }
  return out;
}

void print_progress(const v1::SweepProgress& p) {
  int64_t done = p.tasks_succeeded() + p.tasks_failed() + p.tasks_cancelled();
  int width = 30, filled = p.tasks_total() ? static_cast<int>(width * done / p.tasks_total()) : 0;
  std::string eta = p.eta_seconds() >= 0 ? strformat("%.0fs", p.eta_seconds()) : "?";
  std::printf(
      "sweep %lld %-24s [%s%s] %lld/%lld done, %lld running, %lld failed, %lld prefills, ETA %s\n",
      static_cast<long long>(p.sweep_id()), p.name().c_str(), std::string(filled, '#').c_str(),
      std::string(width - filled, '.').c_str(), static_cast<long long>(done),
      static_cast<long long>(p.tasks_total()), static_cast<long long>(p.tasks_running()),
      static_cast<long long>(p.tasks_failed()), static_cast<long long>(p.prefills()), eta.c_str());
  if (!p.waiting().empty()) {
    std::printf("  waiting: %s\n", p.waiting().c_str());
  }
}

Result<std::vector<FailedTask>> failed_tasks(const v1::ListTasksResponse& r) {
  std::vector<FailedTask> out;
  for (const v1::TaskSummary& t : r.tasks()) {
    if (t.state() != "failed") {
      continue;
    }
    HKV_ASSIGN_OR_RETURN(jobs::Benchmark benchmark, proto::from_proto(t.benchmark()));
    out.push_back({jobs::benchmark_name(benchmark), t.dataset(), t.sample_key(), t.last_error(),
                   t.attempts()});
  }
  return out;
}

// Fetches the results and the failed tasks, prints the tables in `o.format`, writes them to
// `o.out_dir` when set. `failed` receives the failed tasks.
Status print_results(const ResultsOptions& o, std::vector<FailedTask>* failed) {
  HKV_ASSIGN_OR_RETURN(auto client, connect(o.conn));
  HKV_ASSIGN_OR_RETURN(v1::GetResultsResponse rows, client->results(o.sweep));
  HKV_ASSIGN_OR_RETURN(v1::ListTasksResponse tasks, client->list_tasks(o.sweep));
  HKV_ASSIGN_OR_RETURN(*failed, failed_tasks(tasks));
  HKV_ASSIGN_OR_RETURN(const std::vector<ResultRecord> records, to_records(rows));
  HKV_ASSIGN_OR_RETURN(v1::SweepProgress progress, client->get_sweep(o.sweep));
  std::fprintf(stderr, "sweep %lld: %zu result rows of %d tasks\n", static_cast<long long>(o.sweep),
               records.size(), tasks.tasks_size());
  RenderedTables t = render_tables(records, *failed);
  std::printf("%s", o.format == "csv"    ? t.csv.c_str()
                    : o.format == "json" ? t.json.c_str()
                                         : t.markdown.c_str());
  if (!o.out_dir.empty()) {
    HKV_RETURN_IF_ERROR(write_tables(t, o.out_dir));
    HKV_RETURN_IF_ERROR(write_records_jsonl(records, o.out_dir + "/results.jsonl"));
    TidyResults tidy = render_tidy(records, {o.sweep, progress.name(), progress.model()});
    HKV_RETURN_IF_ERROR(write_text_file(o.out_dir + "/tidy.csv", tidy.csv));
    HKV_RETURN_IF_ERROR(write_text_file(o.out_dir + "/tidy.jsonl", tidy.jsonl));
  }
  return Status();
}

}  // namespace

int run_coordinator(const CoordinatorOptions& o) {
  auto token = coordinator::resolve_token(o.token, o.token_file);
  if (!token.ok()) {
    return fail("coordinator", token.status());
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
    return fail("coordinator", server.status());
  }
  std::printf("coordinator listening on %s:%d (db %s)\n", o.host.c_str(), (*server)->port(),
              o.db.c_str());
  if ((*server)->http_port() > 0) {
    std::printf("dashboard: http://%s:%d/ (sign in with the token), /api, /metrics\n",
                o.host.c_str(), (*server)->http_port());
  }
  std::fflush(stdout);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*server)->shutdown();
  return 0;
}

int run_worker_cli(const WorkerCliOptions& o) {
  auto token = coordinator::resolve_token(o.conn.token, o.conn.token_file);
  if (!token.ok()) {
    return fail("worker", token.status());
  }
  auto devices = model::expand_devices(o.device, o.tp);
  if (!devices.ok()) {
    return fail("worker", devices.status());
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);  // drain: finish and report the current task, then exit
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
      results[i] = worker::run_worker(wo, worker::make_batch_executor(&runner), g_stop);
      std::fprintf(stderr, "worker %s: %s\n", (*devices)[i].c_str(), phase_summary(runner).c_str());
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int rc = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      rc = fail("worker", results[i].with_context("%s", (*devices)[i].c_str()));
    }
  }
  return rc;
}

int run_submit(const SubmitOptions& o) {
  const ConnectionOptions& c = o.conn;
  const std::string& file = o.sweep_file;
  auto text = read_file_to_string(file);
  if (!text.ok()) {
    return fail("submit", text.status());
  }
  if (!o.skip_data_check) {
    Status checked = check_sweep_text(*text, file, {o.data_dir, true, false});
    if (!checked.ok()) {
      return fail("submit", checked);
    }
  }
  auto client = connect(c);
  if (!client.ok()) {
    return fail("submit", client.status());
  }
  auto r = (*client)->submit(*text, file);
  if (!r.ok()) {
    return fail("submit", r.status());
  }
  std::printf("sweep %lld: %lld tasks x %lld configs\n", static_cast<long long>(r->sweep_id()),
              static_cast<long long>(r->num_tasks()), static_cast<long long>(r->num_configs()));
  return 0;
}

int run_status(const ConnectionOptions& c, std::optional<int64_t> sweep, bool watch) {
  auto client = connect(c);
  if (!client.ok()) {
    return fail("status", client.status());
  }
  do {
    auto sweeps = (*client)->list_sweeps();
    if (!sweeps.ok()) {
      return fail("status", sweeps.status());
    }
    for (const auto& p : sweeps->sweeps()) {
      if (!sweep || p.sweep_id() == *sweep) {
        print_progress(p);
      }
    }
    auto workers = (*client)->list_workers();
    if (!workers.ok()) {
      return fail("status", workers.status());
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
  } while (watch && !g_stop);
  return 0;
}

int run_workers(const ConnectionOptions& c) {
  return run_status(c, -1, false);
}

int run_results(const ResultsOptions& o) {
  std::vector<FailedTask> failed;
  Status st = print_results(o, &failed);
  if (!st.ok()) {
    return fail("results", st);
  }
  if (!failed.empty()) {
    std::fprintf(stderr, "headkv results: %s", failure_summary_text(failed).c_str());
  }
  return 0;
}

int run_cancel(const ConnectionOptions& c, int64_t sweep) {
  auto client = connect(c);
  if (!client.ok()) {
    return fail("cancel", client.status());
  }
  auto r = (*client)->cancel(sweep);
  if (!r.ok()) {
    return fail("cancel", r.status());
  }
  std::printf("sweep %lld: %lld task(s) cancelled\n", static_cast<long long>(sweep),
              static_cast<long long>(r->tasks_cancelled()));
  return 0;
}

int run_local_sweep(const RunOptions& o) {
  auto text = read_file_to_string(o.sweep_file);
  if (!text.ok()) {
    return fail("run", text.status());
  }
  // Nothing is queued (no state file, no output folder) unless every data file is usable.
  Status checked = check_sweep_text(*text, o.sweep_file, {o.data_dir, true, false});
  if (!checked.ok()) {
    return fail("run", checked);
  }
  auto resolved = model::expand_devices(o.device, o.tp);
  if (!resolved.ok()) {
    return fail("run", resolved.status());
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
    return fail("run", server.status());
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
  auto client = connect(conn);
  if (!client.ok()) {
    return fail("run", client.status());
  }
  auto sub = (*client)->submit(*text, o.sweep_file);
  if (!sub.ok()) {
    return fail("run", sub.status());
  }
  std::printf("sweep %lld: %lld tasks x %lld configs, %d local worker(s), state in %s\n",
              static_cast<long long>(sub->sweep_id()), static_cast<long long>(sub->num_tasks()),
              static_cast<long long>(sub->num_configs()), static_cast<int>(devices.size()),
              so.db_path.c_str());
  std::signal(SIGINT, on_signal);
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
      Status st = worker::run_worker(wo, worker::make_batch_executor(runners[i].get()), g_stop);
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
    return fail("run", st);
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
