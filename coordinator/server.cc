// gRPC server lifecycle and the lease-expiry thread.
#include "coordinator/server.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

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

Result<std::unique_ptr<DbLock>> DbLock::acquire(const std::string& db_path) {
  if (db_path == ":memory:") {
    return std::unique_ptr<DbLock>(new DbLock(-1));
  }
  const std::string path = db_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errorf(StatusCode::kFailedPrecondition,
                  "cannot create the lock file '%s' (%s): check that the database folder exists "
                  "and is writable",
                  path.c_str(), std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {0};
    ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
    ::close(fd);
    return errorf(StatusCode::kFailedPrecondition,
                  "the state database '%s' is in use by another coordinator (pid %s, lock %s)",
                  db_path.c_str(), n > 0 ? std::string(trim(holder)).c_str() : "?", path.c_str());
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    HKV_LOG(kWarning, "coordinator", "cannot record the pid in %s", path.c_str());
  }
  return std::unique_ptr<DbLock>(new DbLock(fd));
}

DbLock::~DbLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the flock
  }
}

Result<std::unique_ptr<CoordinatorServer>> CoordinatorServer::start(const ServerOptions& o) {
  if (o.token.empty()) {
    return errorf(StatusCode::kInvalidArgument,
                  "a shared token is required (--token, --token-file or $HEADKV_TOKEN)");
  }
  std::unique_ptr<CoordinatorServer> s(new CoordinatorServer());
  HKV_ASSIGN_OR_RETURN(s->db_lock_, DbLock::acquire(o.db_path));
  HKV_ASSIGN_OR_RETURN(s->scheduler_, Scheduler::open(o.db_path, o.scheduler));
  s->service_ =
      std::make_unique<CoordinatorService>(s->scheduler_.get(), o.token, &s->rpc_metrics_);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    HKV_ASSIGN_OR_RETURN(std::string cert, read_file_to_string(o.tls_cert_file));
    HKV_ASSIGN_OR_RETURN(std::string key, read_file_to_string(o.tls_key_file));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({key, cert});
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  // One listener per port: without this, gRPC sets SO_REUSEPORT and a second coordinator could
  // bind the same port and split the clients between two databases.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(o.listen_address, creds, &s->port_);
  builder.RegisterService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || s->port_ == 0) {
    return errorf(StatusCode::kUnavailable,
                  "cannot listen on %s (in use by another process, or not an address of this "
                  "host)",
                  o.listen_address.c_str());
  }
  if (o.http) {
    HttpOptions http = *o.http;
    http.token = o.token;
    HKV_ASSIGN_OR_RETURN(s->http_, HttpServer::start(s->scheduler_.get(), &s->rpc_metrics_, http));
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
    if (stopping_) {
      break;
    }
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
    if (stopping_) {
      return;
    }
    stopping_ = true;
  }
  cv_.notify_all();
  if (http_) {
    http_->stop();
  }
  if (server_) {  // null when start() failed before the server was built
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

CoordinatorServer::~CoordinatorServer() {
  shutdown();
  if (expiry_.joinable()) {
    expiry_.join();
  }
}

}  // namespace hkv::coordinator
