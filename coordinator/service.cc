// Handlers: authorize -> convert -> one Scheduler call -> Finish.
#include "coordinator/service.h"

#include <algorithm>
#include <chrono>

#include "common/strings.h"
#include "coordinator/proto_convert.h"
#include "proto/status_convert.h"

namespace hkv::coordinator {
namespace {

// Listing pages stay near this size, far below gRPC's 4 MiB default message limit.
constexpr int64_t kPageBytes = 2 << 20;

// Runs `body` (returning Status) when authorized and finishes the call with its status.
template <typename Body>
grpc::ServerUnaryReactor* handle(grpc::CallbackServerContext* ctx,
                                 const Status& auth,
                                 Body&& body) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Status st = auth.ok() ? body() : auth;
  reactor->Finish(proto::to_grpc_status(st));
  return reactor;
}

// Records a worker RPC's latency when it ends (the scope of the handler, or a copy that lives
// until an asynchronous finish).
class RpcTimer {
 public:
  RpcTimer(RpcMetrics* metrics, Rpc rpc)
      : metrics_(metrics), rpc_(rpc), start_(std::chrono::steady_clock::now()) {}

  void finish() const {
    if (metrics_ != nullptr) {
      metrics_->observe(
          rpc_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
  }

 private:
  RpcMetrics* metrics_;
  Rpc rpc_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

Status CoordinatorService::authorize(grpc::CallbackServerContext* ctx) const {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return errorf(StatusCode::kUnauthenticated, "missing 'authorization' metadata (Bearer token)");
  }
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.substr(0, kPrefix.size()) != kPrefix ||
      !constant_time_equal(value.substr(kPrefix.size()), token_)) {
    return errorf(StatusCode::kUnauthenticated, "wrong token");
  }
  return Status();
}

grpc::ServerUnaryReactor* CoordinatorService::SubmitSweep(grpc::CallbackServerContext* ctx,
                                                          const v1::SubmitSweepRequest* req,
                                                          v1::SubmitSweepResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(
        SubmitResult r,
        scheduler_->submit_sweep(req->spec().spec_text(), req->spec().source(), req->request_id()));
    resp->set_sweep_id(r.sweep_id);
    resp->set_num_tasks(r.num_tasks);
    resp->set_num_configs(r.num_configs);
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::GetSweep(grpc::CallbackServerContext* ctx,
                                                       const v1::GetSweepRequest* req,
                                                       v1::SweepProgress* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(SweepProgress p, scheduler_->sweep_progress(req->sweep_id()));
    to_proto(p, resp);
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::ListSweeps(grpc::CallbackServerContext* ctx,
                                                         const v1::ListSweepsRequest*,
                                                         v1::ListSweepsResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(std::vector<SweepProgress> all, scheduler_->list_sweeps());
    for (const auto& p : all) {
      to_proto(p, resp->add_sweeps());
    }
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::CancelSweep(grpc::CallbackServerContext* ctx,
                                                          const v1::CancelSweepRequest* req,
                                                          v1::CancelSweepResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(int64_t n, scheduler_->cancel_sweep(req->sweep_id()));
    resp->set_tasks_cancelled(n);
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::RegisterWorker(grpc::CallbackServerContext* ctx,
                                                             const v1::RegisterWorkerRequest* req,
                                                             v1::RegisterWorkerResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(std::string id, scheduler_->register_worker(from_proto(req->worker())));
    resp->set_worker_id(id);
    resp->set_heartbeat_period_ms(scheduler_->options().heartbeat_period_ms);
    resp->set_lease_timeout_ms(scheduler_->options().lease_timeout_ms);
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::Heartbeat(grpc::CallbackServerContext* ctx,
                                                        const v1::HeartbeatRequest* req,
                                                        v1::HeartbeatResponse* resp) {
  RpcTimer timer(metrics_, Rpc::kHeartbeat);
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(HeartbeatReply r, scheduler_->heartbeat(from_proto(*req)));
    resp->set_cancel_current_task(r.cancel_current_task);
    *resp->mutable_cancel_task_ids() = {r.cancel_task_ids.begin(), r.cancel_task_ids.end()};
    timer.finish();
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::PullTask(grpc::CallbackServerContext* ctx,
                                                       const v1::PullTaskRequest* req,
                                                       v1::PullTaskResponse* resp) {
  RpcTimer timer(metrics_, Rpc::kPullTask);
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(std::vector<TaskAssignment> tasks,
                         scheduler_->pull_tasks(req->worker_id(), std::max(1, req->max_tasks())));
    for (size_t i = 0; i < tasks.size(); ++i) {
      to_proto(tasks[i], i == 0 ? resp->mutable_task() : resp->add_more_tasks());
    }
    timer.finish();
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::ReportResult(grpc::CallbackServerContext* ctx,
                                                           const v1::ReportResultRequest* req,
                                                           v1::ReportResultResponse* resp) {
  // Finished by the scheduler's committer once the report is on disk: no RPC thread waits for
  // the disk. `resp` lives until Finish.
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  Status auth = authorize(ctx);
  if (!auth.ok()) {
    reactor->Finish(proto::to_grpc_status(auth));
    return reactor;
  }
  RpcTimer timer(metrics_, Rpc::kReportResult);
  scheduler_->report_result_async(
      from_proto(*req), [reactor, resp, timer](Result<ReportOutcome> r) {
        timer.finish();
        if (r.ok()) {
          resp->set_outcome(*r == ReportOutcome::kRecorded    ? "recorded"
                            : *r == ReportOutcome::kDuplicate ? "duplicate"
                                                              : "stale");
        }
        reactor->Finish(proto::to_grpc_status(r.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::ListWorkers(grpc::CallbackServerContext* ctx,
                                                          const v1::ListWorkersRequest*,
                                                          v1::ListWorkersResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    HKV_ASSIGN_OR_RETURN(std::vector<WorkerStatus> all, scheduler_->list_workers());
    for (const auto& w : all) {
      to_proto(w, resp->add_workers());
    }
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::GetResults(grpc::CallbackServerContext* ctx,
                                                         const v1::GetResultsRequest* req,
                                                         v1::GetResultsResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    int64_t next = 0;
    HKV_ASSIGN_OR_RETURN(
        std::vector<ResultRow> rows,
        scheduler_->results_page(req->sweep_id(), req->after_task_id(), kPageBytes, &next));
    for (const auto& r : rows) {
      to_proto(r, resp->add_rows());
    }
    resp->set_next_after_task_id(next);
    return Status();
  });
}

grpc::ServerUnaryReactor* CoordinatorService::ListTasks(grpc::CallbackServerContext* ctx,
                                                        const v1::ListTasksRequest* req,
                                                        v1::ListTasksResponse* resp) {
  return handle(ctx, authorize(ctx), [&]() -> Status {
    int64_t next = 0;
    HKV_ASSIGN_OR_RETURN(
        std::vector<TaskSummary> tasks,
        scheduler_->list_tasks_page(req->sweep_id(), req->after_task_id(), kPageBytes, &next));
    for (const auto& t : tasks) {
      to_proto(t, resp->add_tasks());
    }
    resp->set_next_after_task_id(next);
    return Status();
  });
}

}  // namespace hkv::coordinator
