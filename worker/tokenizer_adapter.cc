// TokenizerAdapter: encode errors are kept for the task instead of aborting the process.
#include "worker/tokenizer_adapter.h"

#include <utility>

namespace hkv::worker {

std::vector<int32_t> TokenizerAdapter::encode(std::string_view text,
                                              bool add_special_tokens) const {
  Result<std::vector<int32_t>> ids = tokenizer_->try_encode(text, add_special_tokens);
  if (ids.ok()) {
    return std::move(ids).value();
  }
  if (error_.ok()) {
    error_ = ids.status();
  }
  return {};
}

Status TokenizerAdapter::take_error() const {
  return std::exchange(error_, Status());
}

Result<std::string> TokenizerAdapter::decode(std::span<const int32_t> ids,
                                             bool skip_special_tokens) const {
  return tokenizer_->decode(std::vector<int32_t>(ids.begin(), ids.end()), skip_special_tokens);
}

std::optional<int32_t> TokenizerAdapter::eos_id() const {
  return tokenizer_->spec().eos_id;
}

}  // namespace hkv::worker
