// jobs::TextTokenizer over model::Tokenizer: the seam that lets jobs/ build prompts without
// depending on model/.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "jobs/text_tokenizer.h"
#include "model/tokenizer.h"

namespace hkv::worker {

class TokenizerAdapter final : public jobs::TextTokenizer {
 public:
  explicit TokenizerAdapter(const model::Tokenizer* tokenizer) : tokenizer_(tokenizer) {}

  // A text the tokenizer cannot encode (a PCRE2 limit) gives no ids and is remembered: the task
  // that asked fails with take_error() instead of the process aborting.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    Result<std::vector<int32_t>> ids = tokenizer_->try_encode(text, add_special_tokens);
    if (ids.ok())
      return std::move(ids).value();
    if (error_.ok())
      error_ = ids.status();
    return {};
  }

  // The first encode error since the last call (OK when none), cleared.
  Status take_error() const { return std::exchange(error_, Status()); }

  Result<std::string> decode(std::span<const int32_t> ids,
                             bool skip_special_tokens) const override {
    return tokenizer_->decode(std::vector<int32_t>(ids.begin(), ids.end()), skip_special_tokens);
  }

  std::optional<int32_t> eos_id() const override { return tokenizer_->spec().eos_id; }

 private:
  const model::Tokenizer* tokenizer_;  // not owned
  mutable Status error_;
};

}  // namespace hkv::worker
