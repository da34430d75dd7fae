// CPU: prefill + build_cache(FullKV) + CpuModel::decode with the observer. GPU: GpuModel::prefill
// of one FullKV config + decode_step_observed.
#include "model/observed_decoder.h"

#include "model/generate.h"
#include "model/kv_compressor.h"

#if HKV_HAVE_CUDA
#include "model/gpu_model.h"
#endif

namespace hkv::model {
namespace {

class CpuDecoder final : public ObservedDecoder {
 public:
  explicit CpuDecoder(const CpuModel& model) : model_(model) {}

  const LlamaConfig& config() const override { return model_.config(); }

  Status begin(std::span<const int32_t> prefix, int32_t steps) override {
    HKV_ASSIGN_OR_RETURN(PrefillOutput pre, model_.prefill(prefix, 1, false));
    HKV_ASSIGN_OR_RETURN(cache_, build_cache(pre, model_.config(), CompressionConfig{}, {},
                                             CompressionOptions{true, steps + 1}));
    return Status();
  }

  Result<int32_t> step(int32_t token,
                       int64_t position,
                       const AttentionObserver& observer) override {
    HeadKvCache* batch[] = {&cache_};
    HKV_RETURN_IF_ERROR(model_.decode(std::span<const int32_t>(&token, 1),
                                      std::span<const int64_t>(&position, 1), batch, &logits_,
                                      &observer));
    return greedy_token(logits_, {});
  }

 private:
  const CpuModel& model_;
  HeadKvCache cache_;
  std::vector<float> logits_;
};

#if HKV_HAVE_CUDA
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
#endif

}  // namespace

std::unique_ptr<ObservedDecoder> make_cpu_decoder(const CpuModel& model) {
  return std::make_unique<CpuDecoder>(model);
}

#if HKV_HAVE_CUDA
std::unique_ptr<ObservedDecoder> make_gpu_decoder(GpuModel& model) {
  return std::make_unique<GpuDecoder>(model);
}
#endif

}  // namespace hkv::model
