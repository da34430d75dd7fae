// The gRPC surface of the coordinator (callback API): every handler authenticates, converts proto
// to domain, makes one Scheduler call and finishes. No logic lives here.
#pragma once

#include <string>

#include "coordinator/rpc_metrics.h"
#include "coordinator/scheduler.h"
#include "hkv/v1/coordinator.grpc.pb.h"

namespace hkv::coordinator {

class CoordinatorService final : public v1::Coordinator::CallbackService {
 public:
  // `token`: the shared secret every call must carry as "authorization: Bearer <token>";
  // `metrics`: where the worker RPCs' latencies go (may be null).
  CoordinatorService(Scheduler* scheduler, std::string token, RpcMetrics* metrics = nullptr)
      : scheduler_(scheduler), token_(std::move(token)), metrics_(metrics) {}

  grpc::ServerUnaryReactor* SubmitSweep(grpc::CallbackServerContext* ctx,
                                        const v1::SubmitSweepRequest* req,
                                        v1::SubmitSweepResponse* resp) override;
  grpc::ServerUnaryReactor* GetSweep(grpc::CallbackServerContext* ctx,
                                     const v1::GetSweepRequest* req,
                                     v1::SweepProgress* resp) override;
  grpc::ServerUnaryReactor* ListSweeps(grpc::CallbackServerContext* ctx,
                                       const v1::ListSweepsRequest* req,
                                       v1::ListSweepsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelSweep(grpc::CallbackServerContext* ctx,
                                        const v1::CancelSweepRequest* req,
                                        v1::CancelSweepResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterWorker(grpc::CallbackServerContext* ctx,
                                           const v1::RegisterWorkerRequest* req,
                                           v1::RegisterWorkerResponse* resp) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) override;
  grpc::ServerUnaryReactor* PullTask(grpc::CallbackServerContext* ctx,
                                     const v1::PullTaskRequest* req,
                                     v1::PullTaskResponse* resp) override;
  grpc::ServerUnaryReactor* ReportResult(grpc::CallbackServerContext* ctx,
                                         const v1::ReportResultRequest* req,
                                         v1::ReportResultResponse* resp) override;
  grpc::ServerUnaryReactor* ListWorkers(grpc::CallbackServerContext* ctx,
                                        const v1::ListWorkersRequest* req,
                                        v1::ListWorkersResponse* resp) override;
  grpc::ServerUnaryReactor* GetResults(grpc::CallbackServerContext* ctx,
                                       const v1::GetResultsRequest* req,
                                       v1::GetResultsResponse* resp) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx,
                                      const v1::ListTasksRequest* req,
                                      v1::ListTasksResponse* resp) override;

 private:
  Status authorize(grpc::CallbackServerContext* ctx) const;

  Scheduler* scheduler_;
  std::string token_;
  RpcMetrics* metrics_;
};

}  // namespace hkv::coordinator
