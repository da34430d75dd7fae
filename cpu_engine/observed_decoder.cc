// The CPU observed decoder: prefill + build_cache(FullKV) + CpuModel::decode with the observer.
#include "cpu_engine/observed_decoder.h"

#include "cpu_engine/generate.h"
#include "cpu_engine/kv_compressor.h"

namespace hkv::model {
namespace {

class CpuDecoder final : public ObservedDecoder {
 public:
  explicit CpuDecoder(const CpuModel& model) : model_(model) {}

  const LlamaConfig& config() const override { return model_.config(); }

  Status begin(std::span<const int32_t> prefix, int32_t steps) override {
    HKV_ASSIGN_OR_RETURN(PrefillOutput pre, model_.prefill(prefix, 1, false));
    HKV_ASSIGN_OR_RETURN(
        cache_, build_cache(pre, model_.config(), CompressionConfig{}, {},
                            CompressionOptions{.fp16_scores = true, .reserve_rows = steps + 1}));
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

}  // namespace

std::unique_ptr<ObservedDecoder> make_cpu_decoder(const CpuModel& model) {
  return std::make_unique<CpuDecoder>(model);
}

}  // namespace hkv::model
