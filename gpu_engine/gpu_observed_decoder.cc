// The GPU observed decoder: GpuModel::prefill of one FullKV config + decode_step_observed.
#include "gpu_engine/gpu_observed_decoder.h"

#include "gpu_engine/gpu_model.h"

namespace hkv::model {
namespace {

class GpuDecoder final : public ObservedDecoder {
 public:
  explicit GpuDecoder(GpuModel& model) : model_(model) {}

  const LlamaConfig& config() const override { return model_.config(); }

  Status begin(std::span<const int32_t> prefix, int32_t steps) override {
    GpuPrefillOptions po;
    po.reserve_rows = steps + 1;
    batch_.reset();
    HKV_ASSIGN_OR_RETURN(GpuPrefillResult pre,
                         model_.prefill(prefix, {CompressionConfig{}}, {{}}, po));
    batch_ = std::make_unique<GpuBatch>(std::move(pre.batch));
    return Status();
  }

  Result<int32_t> step(int32_t token,
                       int64_t position,
                       const AttentionObserver& observer) override {
    if (batch_ == nullptr) {
      return errorf(StatusCode::kFailedPrecondition, "GPU observed decoder: step before begin");
    }
    std::vector<int32_t> next;
    HKV_RETURN_IF_ERROR(model_.decode_step_observed(*batch_, std::span<const int32_t>(&token, 1),
                                                    std::span<const int64_t>(&position, 1),
                                                    observer, &next));
    return next[0];
  }

 private:
  GpuModel& model_;
  std::unique_ptr<GpuBatch> batch_;
};
}  // namespace

std::unique_ptr<ObservedDecoder> make_gpu_decoder(GpuModel& model) {
  return std::make_unique<GpuDecoder>(model);
}

}  // namespace hkv::model
