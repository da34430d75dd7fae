// Deadlines, token metadata and retry with backoff around every RPC.
#include "worker/coordinator_client.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "common/mapped_file.h"
#include "common/strings.h"
#include "proto/status_convert.h"

namespace hkv::worker {

std::string random_request_id() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    id += strformat("%08x", rd());
  }
  return id;
}

Result<std::unique_ptr<CoordinatorClient>> CoordinatorClient::connect(const ClientOptions& o) {
  if (o.target.empty()) {
    return errorf(StatusCode::kInvalidArgument, "no coordinator address (HOST:PORT)");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!o.tls_ca_file.empty()) {
    HKV_ASSIGN_OR_RETURN(std::string ca, read_file_to_string(o.tls_ca_file));
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca;
    creds = grpc::SslCredentials(ssl);
  }
  std::unique_ptr<CoordinatorClient> c(new CoordinatorClient(o));
  c->stub_ = v1::Coordinator::NewStub(grpc::CreateChannel(o.target, creds));
  return c;
}

template <typename Req, typename Resp, typename Call>
Result<Resp> CoordinatorClient::call(const char* name,
                                     const Req& request,
                                     Call rpc,
                                     int64_t deadline_ms) {
  int64_t backoff_ms = 100;
  for (int32_t attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(deadline_ms > 0 ? deadline_ms : options_.deadline_ms));
    ctx.AddMetadata("authorization", "Bearer " + options_.token);
    Resp response;
    grpc::Status st = rpc(&ctx, request, &response);
    if (st.ok()) {
      return response;
    }
    Status status = proto::from_grpc_status(st);
    bool transient = st.error_code() == grpc::StatusCode::UNAVAILABLE ||
                     st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (!transient || attempt >= options_.max_retries) {
      return status.with_context("%s to %s", name, options_.target.c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 2000);
  }
}

#define HKV_RPC(method) \
  [this](grpc::ClientContext* c, const auto& q, auto* r) { return stub_->method(c, q, r); }

Result<v1::RegisterWorkerResponse> CoordinatorClient::register_worker(const v1::WorkerInfo& info) {
  v1::RegisterWorkerRequest req;
  *req.mutable_worker() = info;
  return call<v1::RegisterWorkerRequest, v1::RegisterWorkerResponse>("RegisterWorker", req,
                                                                     HKV_RPC(RegisterWorker));
}

Result<v1::HeartbeatResponse> CoordinatorClient::heartbeat(const v1::HeartbeatRequest& req) {
  return call<v1::HeartbeatRequest, v1::HeartbeatResponse>("Heartbeat", req, HKV_RPC(Heartbeat));
}

Result<std::optional<v1::Task>> CoordinatorClient::pull_task(const std::string& worker_id) {
  HKV_ASSIGN_OR_RETURN(std::vector<v1::Task> tasks, pull_tasks(worker_id, 1));
  if (tasks.empty()) {
    return std::optional<v1::Task>();
  }
  return std::optional<v1::Task>(std::move(tasks[0]));
}

Result<std::vector<v1::Task>> CoordinatorClient::pull_tasks(const std::string& worker_id,
                                                            int32_t max_tasks) {
  v1::PullTaskRequest req;
  req.set_worker_id(worker_id);
  req.set_max_tasks(max_tasks);
  HKV_ASSIGN_OR_RETURN(v1::PullTaskResponse r, (call<v1::PullTaskRequest, v1::PullTaskResponse>(
                                                   "PullTask", req, HKV_RPC(PullTask))));
  std::vector<v1::Task> out;
  if (r.has_task()) {
    out.push_back(std::move(*r.mutable_task()));
    for (v1::Task& t : *r.mutable_more_tasks()) {
      out.push_back(std::move(t));
    }
  }
  return out;
}

Result<v1::ReportResultResponse> CoordinatorClient::report(const v1::ReportResultRequest& req) {
  return call<v1::ReportResultRequest, v1::ReportResultResponse>("ReportResult", req,
                                                                 HKV_RPC(ReportResult));
}

Result<v1::SubmitSweepResponse> CoordinatorClient::submit(const std::string& text,
                                                          const std::string& source) {
  v1::SubmitSweepRequest req;
  req.mutable_spec()->set_spec_text(text);
  req.mutable_spec()->set_source(source);
  // One id for this submit and all its retries: a retry after a lost answer returns the sweep the
  // first try committed. Large sweeps take a while to store: a long deadline.
  req.set_request_id(random_request_id());
  return call<v1::SubmitSweepRequest, v1::SubmitSweepResponse>(
      "SubmitSweep", req, HKV_RPC(SubmitSweep), std::max<int64_t>(options_.deadline_ms, 600'000));
}

Result<v1::SweepProgress> CoordinatorClient::get_sweep(int64_t id) {
  v1::GetSweepRequest req;
  req.set_sweep_id(id);
  return call<v1::GetSweepRequest, v1::SweepProgress>("GetSweep", req, HKV_RPC(GetSweep));
}

Result<v1::ListSweepsResponse> CoordinatorClient::list_sweeps() {
  return call<v1::ListSweepsRequest, v1::ListSweepsResponse>("ListSweeps", {}, HKV_RPC(ListSweeps));
}

Result<v1::CancelSweepResponse> CoordinatorClient::cancel(int64_t id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(id);
  return call<v1::CancelSweepRequest, v1::CancelSweepResponse>("CancelSweep", req,
                                                               HKV_RPC(CancelSweep));
}

Result<v1::ListWorkersResponse> CoordinatorClient::list_workers() {
  return call<v1::ListWorkersRequest, v1::ListWorkersResponse>("ListWorkers", {},
                                                               HKV_RPC(ListWorkers));
}

Result<v1::GetResultsResponse> CoordinatorClient::results(int64_t id) {
  v1::GetResultsRequest req;
  req.set_sweep_id(id);
  v1::GetResultsResponse all;
  do {
    HKV_ASSIGN_OR_RETURN(v1::GetResultsResponse page,
                         (call<v1::GetResultsRequest, v1::GetResultsResponse>(
                             "GetResults", req, HKV_RPC(GetResults))));
    for (v1::ResultRow& row : *page.mutable_rows()) {
      *all.add_rows() = std::move(row);
    }
    req.set_after_task_id(page.next_after_task_id());
  } while (req.after_task_id() != 0);
  return all;
}

Result<v1::ListTasksResponse> CoordinatorClient::list_tasks(int64_t id) {
  v1::ListTasksRequest req;
  req.set_sweep_id(id);
  v1::ListTasksResponse all;
  do {
    HKV_ASSIGN_OR_RETURN(
        v1::ListTasksResponse page,
        (call<v1::ListTasksRequest, v1::ListTasksResponse>("ListTasks", req, HKV_RPC(ListTasks))));
    for (v1::TaskSummary& t : *page.mutable_tasks()) {
      *all.add_tasks() = std::move(t);
    }
    req.set_after_task_id(page.next_after_task_id());
  } while (req.after_task_id() != 0);
  return all;
}

#undef HKV_RPC

}  // namespace hkv::worker
