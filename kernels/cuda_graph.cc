#include "kernels/cuda_graph.h"

#include <utility>

#include "kernels/cuda_utils.h"

namespace hkv::kernels {

Result<CudaGraph> CudaGraph::capture(cudaStream_t stream, const std::function<Status()>& body) {
  HKV_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  Status st = body();
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaStreamEndCapture(stream, &graph);
  if (!st.ok()) {
    if (graph != nullptr) {
      cudaGraphDestroy(graph);
    }
    cudaGetLastError();  // the aborted capture's error is not the caller's
    return st.with_context("while capturing a CUDA graph");
  }
  HKV_CUDA_RETURN_IF_ERROR(end);
  CudaGraph g;
  g.graph_ = graph;
  HKV_CUDA_RETURN_IF_ERROR(cudaGraphInstantiate(&g.exec_, g.graph_, 0));
  return g;
}

CudaGraph::CudaGraph(CudaGraph&& o) noexcept
    : graph_(std::exchange(o.graph_, nullptr)), exec_(std::exchange(o.exec_, nullptr)) {}

CudaGraph& CudaGraph::operator=(CudaGraph&& o) noexcept {
  if (this != &o) {
    release();
    graph_ = std::exchange(o.graph_, nullptr);
    exec_ = std::exchange(o.exec_, nullptr);
  }
  return *this;
}

CudaGraph::~CudaGraph() {
  release();
}

void CudaGraph::release() {
  if (exec_ != nullptr) {
    HKV_CUDA_LOG_IF_ERROR(cudaGraphExecDestroy(exec_));
  }
  if (graph_ != nullptr) {
    HKV_CUDA_LOG_IF_ERROR(cudaGraphDestroy(graph_));
  }
  exec_ = nullptr;
  graph_ = nullptr;
}

Status CudaGraph::launch(cudaStream_t stream) const {
  if (exec_ == nullptr) {
    return errorf(StatusCode::kFailedPrecondition, "CudaGraph::launch: no graph captured");
  }
  HKV_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(exec_, stream));
  return Status();
}

}  // namespace hkv::kernels
