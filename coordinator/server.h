// The coordinator process's composition root: opens the Scheduler on its SQLite file, serves the
// gRPC service (token auth, optional TLS) and expires leases in the background.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "coordinator/http_server.h"
#include "coordinator/rpc_metrics.h"
#include "coordinator/scheduler.h"

namespace grpc {
class Server;
}

namespace hkv::coordinator {

class CoordinatorService;

// An exclusive advisory lock (flock) on "<db>.lock", held for the coordinator's lifetime: one
// coordinator per database. The lock file records the holder's pid for the error message.
class DbLock {
 public:
  static Result<std::unique_ptr<DbLock>> acquire(const std::string& db_path);
  ~DbLock();
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

 private:
  explicit DbLock(int fd) : fd_(fd) {}

  int fd_ = -1;
};

struct ServerOptions {
  std::string db_path;
  std::string listen_address = "127.0.0.1:0";  // port 0: pick a free one
  std::string token;                           // required, non-empty
  std::string tls_cert_file;                   // both set: TLS; both empty: plaintext
  std::string tls_key_file;
  SchedulerOptions scheduler;
  // Set: the dashboard, /api and /metrics over HTTP as well (its token is `token`).
  std::optional<HttpOptions> http;
};

class CoordinatorServer {
 public:
  static Result<std::unique_ptr<CoordinatorServer>> start(const ServerOptions& options);
  ~CoordinatorServer();

  int port() const { return port_; }

  // The HTTP port; 0 when HTTP is off.
  int http_port() const { return http_ ? http_->port() : 0; }

  Scheduler* scheduler() { return scheduler_.get(); }

  // Blocks until shutdown() is called (from another thread or a signal watcher).
  void wait();
  void shutdown();

 private:
  CoordinatorServer() = default;
  void expiry_loop();

  std::unique_ptr<DbLock> db_lock_;  // declared first: released last
  std::unique_ptr<Scheduler> scheduler_;
  RpcMetrics rpc_metrics_;
  std::unique_ptr<CoordinatorService> service_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread expiry_;
};

// Reads a token from `file` (trimmed), else $HEADKV_TOKEN, else `flag`; empty when none is set.
Result<std::string> resolve_token(const std::string& flag, const std::string& file);

}  // namespace hkv::coordinator
