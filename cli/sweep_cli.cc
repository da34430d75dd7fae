// Flags of coordinator / worker / submit / status / workers / results / cancel / run.
#include "cli/sweep_cli.h"

namespace hkv::cli {
namespace {

void add_connection(CLI::App* cmd, ConnectionOptions* c) {
  cmd->add_option("--coordinator", c->coordinator, "Coordinator HOST:PORT");
  cmd->add_option("--token", c->token, "Shared token (or --token-file, or $HEADKV_TOKEN)");
  cmd->add_option("--token-file", c->token_file, "File holding the shared token");
  cmd->add_option("--tls-ca", c->tls_ca, "Root CA (PEM) to connect with TLS");
}

void add_batch_options(CLI::App* cmd, BatchOptions* b) {
  cmd->add_option("--batch-tasks", b->tasks,
                  "Tasks leased at once and decoded as one batch on a GPU (0: 8 on a GPU, 1 on "
                  "the CPU)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--batch-tokens", b->prompt_tokens,
                  "Prompt tokens per decode batch (a longer single prompt still runs)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_option("--prepare-ahead", b->prepare_ahead,
                  "Lease the next tasks while a lease runs and build their prompts on a CPU "
                  "thread (auto: on a GPU)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
}

void add_tp_option(CLI::App* cmd, int32_t* tp) {
  cmd->add_option("--tp", *tp,
                  "Tensor-parallel ranks per worker, heads placed to balance the HeadKV caches "
                  "(CPU engine: threads; the GPU engine does not split yet)")
      ->check(CLI::Range(1, 64));
}

}  // namespace

void add_sweep_commands(CLI::App& app, SweepCli* s) {
  s->coordinator_cmd =
      app.add_subcommand("coordinator", "Run the sweep coordinator (gRPC, SQLite state)");
  auto* c = s->coordinator_cmd;
  c->add_option("--db", s->coordinator.db, "SQLite state file")->required();
  c->add_option("--port", s->coordinator.port, "Port (0: any free port)");
  c->add_option("--host", s->coordinator.host, "Listen address");
  c->add_option("--token", s->coordinator.token, "Shared token");
  c->add_option("--token-file", s->coordinator.token_file, "File holding the shared token");
  c->add_option("--tls-cert", s->coordinator.tls_cert, "TLS certificate (PEM)");
  c->add_option("--tls-key", s->coordinator.tls_key, "TLS private key (PEM)");
  c->add_option("--heartbeat-ms", s->coordinator.heartbeat_ms, "Worker heartbeat period");
  c->add_option("--lease-timeout-ms", s->coordinator.lease_timeout_ms, "Lease timeout");
  c->add_option("--max-attempts", s->coordinator.max_attempts, "Attempts per task");
  c->add_option("--http-port", s->coordinator.http_port,
                "Also serve the dashboard, /api and /metrics over HTTP on this port (0: any free "
                "port; default: off)")
      ->check(CLI::Range(0, 65535));
  c->add_flag("--metrics-public", s->coordinator.metrics_public,
              "Serve /metrics without the token (everything else still needs it)");

  s->worker_cmd = app.add_subcommand("worker", "Run one worker per device against a coordinator");
  add_connection(s->worker_cmd, &s->worker.conn);
  s->worker_cmd->add_option("--device", s->worker.device,
                            "auto (GPUs if any, else cpu) | cpu | cuda:N | all");
  s->worker_cmd->add_option("--dtype", s->worker.dtype,
                            "GPU compute dtype for sweeps that name none: f16 | bf16 | f32");
  add_tp_option(s->worker_cmd, &s->worker.tp);
  s->worker_cmd->add_flag("--exit-when-idle", s->worker.exit_when_idle,
                          "Exit when no task is pending");
  s->worker_cmd->add_option("--spool-dir", s->worker.spool_dir,
                            "Where finished results wait for the coordinator's answer "
                            "(default: $HEADKV_CACHE/spool)");
  s->worker_cmd->add_option("--data-dir", s->worker.data_dir,
                            "Data root searched before $HEADKV_DATA_DIR, the fetched and the "
                            "shipped data");

  add_batch_options(s->worker_cmd, &s->worker.batch);

  s->submit_cmd = app.add_subcommand("submit", "Submit a sweep file (YAML or JSON)");
  add_connection(s->submit_cmd, &s->submit.conn);
  s->submit_cmd->add_option("sweep", s->submit.sweep_file, "Sweep file")->required();
  s->submit_cmd->add_option("--data-dir", s->submit.data_dir,
                            "Data root searched first by the pre-queue data check");
  s->submit_cmd->add_flag("--skip-data-check", s->submit.skip_data_check,
                          "Queue without checking data and model here (they live on the workers)");

  s->status_cmd = app.add_subcommand("status", "Sweep progress and workers");
  add_connection(s->status_cmd, &s->conn);
  s->status_cmd->add_option("sweep", s->sweep_id, "Sweep id (default: all)");
  s->status_cmd->add_flag("--watch", s->watch, "Refresh every 2 s");

  s->workers_cmd = app.add_subcommand("workers", "List workers");
  add_connection(s->workers_cmd, &s->conn);

  s->results_cmd = app.add_subcommand("results", "Result tables of a sweep");
  add_connection(s->results_cmd, &s->results.conn);
  s->results_cmd->add_option("sweep", s->results.sweep, "Sweep id")->required();
  s->results_cmd->add_option("--format", s->results.format, "md | csv | json");
  s->results_cmd->add_option(
      "--out", s->results.out_dir,
      "Also write tables, heatmaps and every result row (results.jsonl) here");

  s->cancel_cmd = app.add_subcommand("cancel", "Cancel a sweep's unfinished tasks");
  add_connection(s->cancel_cmd, &s->conn);
  s->cancel_cmd->add_option("sweep", s->sweep_id, "Sweep id")->required();

  s->load_cmd = app.add_subcommand(
      "load-bench", "Coordinator load benchmark on loopback: a large submit, simulated workers");
  s->load_cmd->add_option("--tasks", s->load.tasks, "Tasks in the sweep (needle grid)");
  s->load_cmd->add_option("--workers", s->load.workers, "Simulated workers");
  s->load_cmd->add_option("--seconds", s->load.seconds, "How long the workers run");
  s->load_cmd
      ->add_option("--work-ms", s->load.work_ms,
                   "Simulated time per task between lease and report (0: back to back)")
      ->check(CLI::Range(0, 3'600'000));
  s->load_cmd
      ->add_option("--configs", s->load.configs,
                   "Configs per task (1: FullKV; more: SnapKV budgets), one result each")
      ->check(CLI::Range(1, 64));
  s->load_cmd->add_option("--dir", s->load.dir, "Keep the database here (default: a temp dir)");
  s->load_cmd
      ->add_option("--settle-seconds", s->load.settle_seconds,
                   "Wait this long after the submit before the workers start")
      ->check(CLI::Range(0, 3600));
  s->load_cmd->add_option("--coordinator", s->load.coordinator,
                          "Load this running coordinator (host:port, $HEADKV_TOKEN) instead");

  s->run_cmd =
      app.add_subcommand("run", "Run a sweep on this machine (embedded coordinator + workers)");
  s->run_cmd->add_option("sweep", s->run.sweep_file, "Sweep file")->required();
  s->run_cmd->add_option("--out", s->run.out_dir, "Output directory (state DB and tables)");
  s->run_cmd->add_option("--workers", s->run.workers, "Local CPU workers");
  s->run_cmd->add_option("--device", s->run.device,
                         "auto | cpu | cuda:N | all (one worker per GPU)");
  s->run_cmd->add_option("--dtype", s->run.dtype,
                         "GPU compute dtype when the sweep names none: f16 | bf16 | f32");
  add_tp_option(s->run_cmd, &s->run.tp);
  s->run_cmd->add_option("--data-dir", s->run.data_dir,
                         "Data root searched before $HEADKV_DATA_DIR, the fetched and the "
                         "shipped data");
  add_batch_options(s->run_cmd, &s->run.batch);
  s->run_cmd
      ->add_option("--http-port", s->run.http_port,
                   "Serve the live dashboard on 127.0.0.1:PORT while the sweep runs (0: any "
                   "free port)")
      ->check(CLI::Range(0, 65535));
}

std::optional<int> dispatch_sweep_commands(const SweepCli& s) {
  if (s.coordinator_cmd->parsed()) {
    return run_coordinator(s.coordinator);
  }
  if (s.worker_cmd->parsed()) {
    return run_worker_cli(s.worker);
  }
  if (s.submit_cmd->parsed()) {
    return run_submit(s.submit);
  }
  if (s.status_cmd->parsed()) {
    return run_status(s.conn, s.sweep_id > 0 ? std::optional<int64_t>(s.sweep_id) : std::nullopt,
                      s.watch);
  }
  if (s.workers_cmd->parsed()) {
    return run_workers(s.conn);
  }
  if (s.results_cmd->parsed()) {
    return run_results(s.results);
  }
  if (s.cancel_cmd->parsed()) {
    return run_cancel(s.conn, s.sweep_id);
  }
  if (s.run_cmd->parsed()) {
    return run_local_sweep(s.run);
  }
  if (s.load_cmd->parsed()) {
    return run_load_bench(s.load);
  }
  return std::nullopt;
}

}  // namespace hkv::cli
