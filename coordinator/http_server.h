// The coordinator's HTTP side, next to gRPC (`headkv coordinator --http-port N`): a live dashboard
// (`/`, `/sweeps/<id>`), the same data as JSON (`/api/...`, see the README) and Prometheus metrics
// (`/metrics`). Every page and API call needs the gRPC token, as "Authorization: Bearer <token>"
// or the cookie the login form sets; only /metrics may be opened without it (metrics_public).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/status.h"
#include "coordinator/rpc_metrics.h"
#include "coordinator/scheduler.h"

namespace httplib {
class Server;
}

namespace hkv::coordinator {

struct HttpOptions {
  std::string host = "0.0.0.0";
  int port = 0;  // 0: any free port (read it back with port())
  std::string token;
  bool metrics_public = false;  // /metrics without the token
};

class HttpServer {
 public:
  // Binds and serves on a thread of its own. `scheduler` and `rpcs` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> start(Scheduler* scheduler,
                                                   const RpcMetrics* rpcs,
                                                   const HttpOptions& options);
  ~HttpServer();

  int port() const { return port_; }

  void stop();

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace hkv::coordinator
