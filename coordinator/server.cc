// gRPC server lifecycle and the lease-expiry thread.
#include "coordinator/server.h"

#include <cstdlib>

#include <grpcpp/grpcpp.h>

#include "common/logging.h"
#include "common/mapped_file.h"
#include "common/strings.h"
#include "coordinator/service.h"

namespace hkv::coordinator {

Result<std::string> resolve_token(const std::string& flag, const std::string& file) {
  if (!file.empty()) {
    HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(file));
    return std::string(trim(text));
  }
  if (const char* env = std::getenv("HEADKV_TOKEN"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  return flag;
}

Result<std::unique_ptr<CoordinatorServer>> CoordinatorServer::start(const ServerOptions& o) {
  if (o.token.empty()) {
    return errorf(StatusCode::kInvalidArgument,
                  "a shared token is required (--token, --token-file or $HEADKV_TOKEN)");
  }
  std::unique_ptr<CoordinatorServer> s(new CoordinatorServer());
  HKV_ASSIGN_OR_RETURN(s->scheduler_, Scheduler::open(o.db_path, o.scheduler));
  s->service_ = std::make_unique<CoordinatorService>(s->scheduler_.get(), o.token);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    HKV_ASSIGN_OR_RETURN(std::string cert, read_file_to_string(o.tls_cert_file));
    HKV_ASSIGN_OR_RETURN(std::string key, read_file_to_string(o.tls_key_file));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({key, cert});
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(o.listen_address, creds, &s->port_);
  builder.RegisterService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return errorf(StatusCode::kUnavailable, "cannot listen on %s", o.listen_address.c_str());
  }
  s->expiry_ = std::thread([p = s.get()] { p->expiry_loop(); });
  HKV_LOG(kInfo, "coordinator", "listening on port %d, db %s", s->port_, o.db_path.c_str());
  return s;
}

void CoordinatorServer::expiry_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t period = std::max<int64_t>(50, scheduler_->options().heartbeat_period_ms / 2);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(period));
    if (stopping_)
      break;
    lock.unlock();
    auto n = scheduler_->expire_leases();
    if (!n.ok()) {
      HKV_LOG(kWarning, "coordinator", "expire_leases: %s", n.status().to_string().c_str());
    } else if (*n > 0) {
      HKV_LOG(kInfo, "coordinator", "expired %lld lease(s)", static_cast<long long>(*n));
    }
    lock.lock();
  }
}

void CoordinatorServer::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stopping_; });
}

void CoordinatorServer::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_)
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

CoordinatorServer::~CoordinatorServer() {
  shutdown();
  if (expiry_.joinable())
    expiry_.join();
}

}  // namespace hkv::coordinator
