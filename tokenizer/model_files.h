// Finding a model's pieces from one user-supplied path: a Hugging Face folder, a .gguf file or a
// tokenizer.json. Also renders a user message through the model's chat template.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace hkv::model {

// `path`: a directory holding tokenizer.json, a .gguf file (embedded tokenizer) or a
// tokenizer.json file itself.
Result<Tokenizer> load_tokenizer(const std::string& path);

// The chat family for a tokenizer: `override_name` when given ("llama3", "mistral", "chatml",
// "none"), else detected from its chat template and the model path as a hint.
Result<ChatFamily> chat_family_for(const Tokenizer& tokenizer,
                                   const std::string& model_path,
                                   const std::optional<std::string>& override_name);

// One user turn rendered with the generation prompt, ready for encode(add_special_tokens=false).
Result<std::string> render_user_prompt(const Tokenizer& tokenizer,
                                       ChatFamily family,
                                       const std::string& user_text);

}  // namespace hkv::model
