// The tensor-parallel GPU engine (M11): one GpuModel per GPU, each holding its rank's shard
// (cpu_engine/tensor_parallel.h: KV-head groups in the placement's order, MLP and vocabulary
// slices), joined by NCCL for the forward's all-reduces and the logits gather, and by an
// in-process host group for Ada-SnapKV's layer-wide allocation. A thread per rank drives each
// generate() call, and the ranks' runs merge into one (merge_tp_runs). One GPU makes a group of
// one: the same code path, NCCL included.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "comm/device_communicator.h"
#include "cpu_engine/tensor_parallel.h"
#include "gpu_engine/gpu_generate.h"
#include "gpu_engine/gpu_model.h"

namespace hkv::model {

class TpGpuModel {
 public:
  // Rank r on devices[r]; `order` [layer][slot] the KV-head placement (contiguous_order or a
  // balanced one); `options` for every rank (its device and shard are set here).
  static Result<std::unique_ptr<TpGpuModel>> load(const ModelSource& source,
                                                  const GpuEngineOptions& options,
                                                  const std::vector<int>& devices,
                                                  std::vector<std::vector<int32_t>> order);
  ~TpGpuModel();

  const LlamaConfig& config() const { return global_; }

  int32_t ranks() const { return static_cast<int32_t>(models_.size()); }

  const TpShard& shard(int32_t r) const { return *shards_[r]; }

  GpuModel& rank_model(int32_t r) { return *models_[r]; }

  // As generate_multi_gpu on the whole model; `kept`, when set, receives [config][layer] the kept
  // positions per segment of the whole model (GpuTrace::kept's layout), `logits` sequence 0's
  // gathered logits per step (GpuTrace::logits). A failed rank aborts the groups and the model
  // stays unusable (FailedPrecondition on later calls: load it again).
  Result<MultiRun> generate(std::span<const int32_t> prompt,
                            const std::vector<CompressionConfig>& configs,
                            const std::vector<std::vector<int32_t>>& head_caps,
                            const GenerationConfig& gen,
                            const TokenCallback& on_token = {},
                            std::vector<std::vector<KeptPositions>>* kept = nullptr,
                            std::vector<std::vector<float>>* logits = nullptr);

 private:
  TpGpuModel() = default;

  LlamaConfig global_;
  std::vector<int> devices_;
  std::vector<std::unique_ptr<comm::DeviceCommunicator>> nccl_;
  std::vector<std::unique_ptr<comm::Communicator>> host_;
  std::vector<std::shared_ptr<TpShard>> shards_;
  std::vector<std::unique_ptr<GpuModel>> models_;
  std::string broken_;  // why a failed call left the groups unusable
};

}  // namespace hkv::model
