// jobs::TextTokenizer over model::Tokenizer: the seam that lets jobs/ build prompts without
// depending on model/.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "benchmarks/text_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace hkv::worker {

class TokenizerAdapter final : public jobs::TextTokenizer {
 public:
  explicit TokenizerAdapter(const model::Tokenizer* tokenizer) : tokenizer_(tokenizer) {}

  // A text the tokenizer cannot encode (a PCRE2 limit) gives no ids and is remembered: the task
  // that asked fails with take_error() instead of the process aborting.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;

  // The first encode error since the last call (OK when none), cleared.
  Status take_error() const;

  Result<std::string> decode(std::span<const int32_t> ids, bool skip_special_tokens) const override;
  std::optional<int32_t> eos_id() const override;

 private:
  const model::Tokenizer* tokenizer_;  // not owned
  mutable Status error_;
};

}  // namespace hkv::worker
