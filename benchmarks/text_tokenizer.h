// The tokenizer and chat template as jobs/ sees them: two small seams the worker implements on top
// of model::Tokenizer and tokenizer/chat_template.h, so that jobs/ never depends on model/.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hkv::jobs {

// Encode/decode with the semantics the reference ran under (transformers 4.37, the model's own
// tokenizer files), because the prompt builders reproduce its exact token arithmetic:
//   - encode(text, true) is `tokenizer(text)["input_ids"]`: Llama-3-8B-Instruct prepends BOS
//     128000, Mistral prepends <s> = 1. The first-release Llama-3 tokenizer.json in data/tokenizers
//     adds no BOS by itself, so an adapter over it must prepend one.
//   - Special-token text inside `text` ("<|begin_of_text|>") is parsed as the special token.
//   - decode(ids, skip) is `tokenizer.decode(ids, skip_special_tokens=skip)` with the model's
//     default clean_up_tokenization_spaces (true for Llama-3, false for Mistral; transformers 4.37
//     honoured it, transformers 5 does not).
// Implementations must be deterministic; builders call them from one thread at a time.
class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;

  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const = 0;
  // Ids out of range are an error.
  virtual Result<std::string> decode(std::span<const int32_t> ids,
                                     bool skip_special_tokens) const = 0;
  // tokenizer.eos_token_id, the first stop id of every benchmark; nullopt when the model has none.
  virtual std::optional<int32_t> eos_id() const = 0;
};

// Renders one user message with the model's chat template and the generation prompt, as
// `tokenizer.apply_chat_template([{"role": "user", "content": user_text}], tokenize=False,
// add_generation_prompt=True)` does (the caller uses model::render_chat). The result is
// tokenised with add_special_tokens=false: the template supplies BOS.
using ChatRenderFn = std::function<Result<std::string>(const std::string& user_text)>;

}  // namespace hkv::jobs
