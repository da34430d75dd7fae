// Loading the ranks (NCCL group first, then each rank's shard uploaded to its GPU) and running a
// generate() call on a thread per rank.
#include "gpu_engine/gpu_tp.h"

#include <thread>

#include <cuda_runtime_api.h>

#include "gpu_engine/nccl_comm.h"

namespace hkv::model {

TpGpuModel::~TpGpuModel() = default;

Result<std::unique_ptr<TpGpuModel>> TpGpuModel::load(const ModelSource& source,
                                                     const GpuEngineOptions& options,
                                                     const std::vector<int>& devices,
                                                     std::vector<std::vector<int32_t>> order) {
  std::unique_ptr<TpGpuModel> tp(new TpGpuModel());
  tp->global_ = source.config();
  tp->devices_ = devices;
  const int32_t ranks = static_cast<int32_t>(devices.size());
  HKV_ASSIGN_OR_RETURN(tp->shards_, make_tp_shards(tp->global_, std::move(order), ranks));
  HKV_ASSIGN_OR_RETURN(tp->nccl_, make_nccl_group(devices));
  tp->host_ = comm::make_in_process_group(ranks);
  for (int32_t r = 0; r < ranks; ++r) {
    tp->shards_[r]->comm = tp->host_[r].get();
    GpuEngineOptions o = options;
    o.device = devices[r];
    o.tp = tp->shards_[r];
    o.comm = tp->nccl_[r].get();
    HKV_ASSIGN_OR_RETURN(std::unique_ptr<GpuModel> m, GpuModel::load(source, o));
    tp->models_.push_back(std::move(m));
  }
  return tp;
}

Result<MultiRun> TpGpuModel::generate(std::span<const int32_t> prompt,
                                      const std::vector<CompressionConfig>& configs,
                                      const std::vector<std::vector<int32_t>>& head_caps,
                                      const GenerationConfig& gen,
                                      const TokenCallback& on_token,
                                      std::vector<std::vector<KeptPositions>>* kept,
                                      std::vector<std::vector<float>>* logits) {
  if (!broken_.empty()) {
    return errorf(StatusCode::kFailedPrecondition,
                  "tensor-parallel GPU model: an earlier call failed (%s); load it again",
                  broken_.c_str());
  }
  const int32_t R = ranks();
  HKV_ASSIGN_OR_RETURN(auto caps, split_head_caps(shards_, configs, head_caps));
  std::vector<Result<MultiRun>> runs(R, Result<MultiRun>(MultiRun{}));
  std::vector<GpuTrace> traces(R);
  std::vector<std::thread> threads;
  for (int32_t r = 0; r < R; ++r) {
    threads.emplace_back([&, r] {
      traces[r].keep_positions = kept != nullptr;
      traces[r].keep_logits = logits != nullptr && r == 0;
      const cudaError_t set = cudaSetDevice(devices_[r]);
      if (set != cudaSuccess) {
        runs[r] = errorf(StatusCode::kInternal, "rank %d: cudaSetDevice(%d): %s", r, devices_[r],
                         cudaGetErrorString(set));
      } else {
        runs[r] = generate_multi_gpu(*models_[r], prompt, configs, caps[r], gen,
                                     r == 0 ? on_token : TokenCallback(), &traces[r]);
      }
      if (!runs[r].ok()) {
        nccl_[r]->abort();
        host_[r]->abort(runs[r].status().message());
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  Result<MultiRun> merged = merge_tp_runs(*shards_[0], std::move(runs), configs, nullptr, nullptr);
  if (!merged.ok()) {
    broken_ = merged.status().message();
    return merged;
  }
  if (logits != nullptr) {
    *logits = std::move(traces[0].logits);
  }
  if (kept != nullptr) {
    kept->assign(configs.size(), {});
    for (size_t i = 0; i < configs.size(); ++i) {
      const CacheLayout layout = configs[i].storage_layout();
      const int32_t segments =
          layout == CacheLayout::kGqa ? global_.num_kv_heads : global_.num_q_heads;
      (*kept)[i].assign(global_.num_layers, KeptPositions(segments));
      for (int32_t r = 0; r < R; ++r) {
        for (int32_t l = 0; l < global_.num_layers; ++l) {
          const KeptPositions& local = traces[r].kept[i][l];
          for (size_t s = 0; s < local.size(); ++s) {
            (*kept)[i][l][shards_[r]->global_segment(l, r, static_cast<int32_t>(s), layout)] =
                local[s];
          }
        }
      }
    }
  }
  return merged;
}

}  // namespace hkv::model
