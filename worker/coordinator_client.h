// The worker's view of the coordinator: a wrapper around the generated gRPC client that attaches
// the token and a deadline to every call and retries UNAVAILABLE with backoff (a restarting
// coordinator is routine).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "hkv/v1/coordinator.grpc.pb.h"

namespace hkv::worker {

struct ClientOptions {
  std::string target;  // host:port
  std::string token;
  std::string tls_ca_file;  // set: TLS with this root CA
  int64_t deadline_ms = 10'000;
  int32_t max_retries = 20;  // UNAVAILABLE retries per call, backoff 100 ms .. 2 s
};

// 128 random bits as hex: a submit's request id.
std::string random_request_id();

class CoordinatorClient {
 public:
  static Result<std::unique_ptr<CoordinatorClient>> connect(const ClientOptions& options);

  Result<v1::RegisterWorkerResponse> register_worker(const v1::WorkerInfo& info);
  Result<v1::HeartbeatResponse> heartbeat(const v1::HeartbeatRequest& request);
  // nullopt when no task is pending.
  Result<std::optional<v1::Task>> pull_task(const std::string& worker_id);
  // Up to `max_tasks` tasks in one lease (PullTaskRequest.max_tasks); empty when none is pending.
  Result<std::vector<v1::Task>> pull_tasks(const std::string& worker_id, int32_t max_tasks);
  Result<v1::ReportResultResponse> report(const v1::ReportResultRequest& request);

  Result<v1::SubmitSweepResponse> submit(const std::string& spec_text, const std::string& source);
  Result<v1::SweepProgress> get_sweep(int64_t sweep_id);
  Result<v1::ListSweepsResponse> list_sweeps();
  Result<v1::CancelSweepResponse> cancel(int64_t sweep_id);
  Result<v1::ListWorkersResponse> list_workers();
  // Every page of the sweep's results / tasks, in task order, as one response.
  Result<v1::GetResultsResponse> results(int64_t sweep_id);
  Result<v1::ListTasksResponse> list_tasks(int64_t sweep_id);

 private:
  explicit CoordinatorClient(const ClientOptions& options) : options_(options) {}

  template <typename Req, typename Resp, typename Call>
  // deadline_ms 0: options_.deadline_ms.
  Result<Resp> call(const char* name, const Req& request, Call call, int64_t deadline_ms = 0);

  ClientOptions options_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

}  // namespace hkv::worker
