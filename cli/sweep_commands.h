// The distributed-sweep commands: coordinator, worker, submit, status, workers, results, cancel,
// and `run` (an embedded coordinator plus local workers in one process).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hkv::cli {

struct ConnectionOptions {
  std::string coordinator = "127.0.0.1:50051";
  std::string token;
  std::string token_file;
  std::string tls_ca;
};

struct CoordinatorOptions {
  std::string db;
  std::string host = "127.0.0.1";
  int port = 50051;
  std::string token;
  std::string token_file;
  std::string tls_cert, tls_key;
  int64_t heartbeat_ms = 2000, lease_timeout_ms = 30000;
  int32_t max_attempts = 3;
  int http_port = -1;           // -1: no HTTP; 0: any free port
  bool metrics_public = false;  // /metrics without the token
};

// Several tasks per lease, decoded as one batch on a GPU.
struct BatchOptions {
  int32_t tasks = 0;              // tasks per lease; 0 = auto: 8 on a GPU, 1 on the CPU
  int64_t prompt_tokens = 16384;  // prompt tokens per decode batch
  // Lease ahead and prepare prompts on a CPU thread: auto (on a GPU, whose engine leaves the CPU
  // free) | on | off.
  std::string prepare_ahead = "auto";
};

struct WorkerCliOptions {
  ConnectionOptions conn;
  // auto: every visible GPU (one worker thread each), else the CPU; cpu | cuda:N | all.
  std::string device = "auto";
  std::string dtype = "f16";  // GPU compute dtype
  int32_t tp = 1;             // tensor-parallel ranks per worker (CPU engine; model::EngineOptions)
  bool exit_when_idle = false;
  std::string data_dir;   // explicit data root (common/paths.h); "" = the default search path
  std::string spool_dir;  // unacknowledged results; "" = <cache>/spool
  BatchOptions batch;
};

struct SubmitOptions {
  ConnectionOptions conn;
  std::string sweep_file;
  std::string data_dir;          // where the pre-queue data check looks
  bool skip_data_check = false;  // data that only the workers' hosts hold
};

struct ResultsOptions {
  ConnectionOptions conn;
  int64_t sweep = 0;
  std::string format = "md";  // md | csv | json
  std::string out_dir;
};

struct RunOptions {
  std::string sweep_file;
  std::string out_dir = "headkv-out";
  int workers = 1;              // local CPU workers (--device cpu)
  std::string device = "auto";  // auto | cpu | cuda:N | all: one worker per GPU (auto: CPU without)
  std::string dtype = "f16";
  int32_t tp = 1;        // tensor-parallel ranks per worker (CPU engine; model::EngineOptions)
  std::string data_dir;  // explicit data root (common/paths.h); "" = the default search path
  BatchOptions batch;
  int http_port = -1;  // -1: no dashboard; else the embedded coordinator serves it there
};

int run_coordinator(const CoordinatorOptions& o);
int run_worker_cli(const WorkerCliOptions& o);
int run_submit(const SubmitOptions& o);
int run_status(const ConnectionOptions& c, std::optional<int64_t> sweep, bool watch);
int run_workers(const ConnectionOptions& c);
int run_results(const ResultsOptions& o);
int run_cancel(const ConnectionOptions& c, int64_t sweep);
int run_local_sweep(const RunOptions& o);

}  // namespace hkv::cli
