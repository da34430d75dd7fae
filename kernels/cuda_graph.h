// Move-only owner of an instantiated CUDA graph, recorded by stream capture. The decode step of the
// GPU engine is captured once per batch and replayed: one launch instead of ~12 per layer.
#pragma once

#include <functional>

#include <cuda_runtime_api.h>

#include "common/status.h"

namespace hkv::kernels {

class CudaGraph {
 public:
  // Records everything `body` enqueues on `stream` (nothing runs), then instantiates it. `body`'s
  // error aborts the capture and is returned.
  static Result<CudaGraph> capture(cudaStream_t stream, const std::function<Status()>& body);
  CudaGraph() = default;
  CudaGraph(CudaGraph&& o) noexcept;
  CudaGraph& operator=(CudaGraph&& o) noexcept;
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  ~CudaGraph();

  bool valid() const { return exec_ != nullptr; }

  Status launch(cudaStream_t stream) const;

 private:
  void release();
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace hkv::kernels
