// jobs::TextTokenizer over model::Tokenizer: the seam that lets jobs/ build prompts without
// depending on model/.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "jobs/text_tokenizer.h"
#include "model/tokenizer.h"

namespace hkv::worker {

class TokenizerAdapter final : public jobs::TextTokenizer {
 public:
  explicit TokenizerAdapter(const model::Tokenizer* tokenizer) : tokenizer_(tokenizer) {}

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override {
    return tokenizer_->encode(text, add_special_tokens);
  }

  Result<std::string> decode(std::span<const int32_t> ids,
                             bool skip_special_tokens) const override {
    return tokenizer_->decode(std::vector<int32_t>(ids.begin(), ids.end()), skip_special_tokens);
  }

  std::optional<int32_t> eos_id() const override { return tokenizer_->spec().eos_id; }

 private:
  const model::Tokenizer* tokenizer_;  // not owned
};

}  // namespace hkv::worker
