// Chat-template rendering without a Jinja engine: one small hand-written renderer per model family,
// each byte-identical to that family's reference Jinja template as transformers renders it
// (apply_chat_template(..., tokenize=False)); pinned by tests/golden/chat/*.json.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/utf8.h"

namespace hkv::model {

// A family names a reference template, not a loose format: the renderer reproduces exactly the
// template listed here, including its quirks.
enum class ChatFamily {
  // Meta-Llama-3-8B-Instruct as first released (tokenizers/llama3/tokenizer_config.json): bos
  // before the first message, `content | trim`, and the assistant header ALWAYS appended (that
  // template ignores add_generation_prompt).
  kLlama3,
  // Mistral-7B-Instruct-v0.2 (HF revision dca6e4b6): "[INST] u [/INST]a</s>", strict
  // user/assistant alternation, no system role, add_generation_prompt ignored.
  kMistralInstruct,
  // SmolLM2-135M-Instruct's ChatML (GGUF tokenizer.chat_template): a default SmolLM system message
  // when the first message is not "system". Other ChatML models (Qwen, ...) use other defaults.
  kChatMl,
  // No template: the message contents concatenated as they are (raw-prompt mode).
  kNone,
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", or any role the family accepts
  std::string content;
};

// The special-token strings a template refers to as bos_token / eos_token, e.g. "<|begin_of_text|>"
// or "<s>" / "</s>". Families whose template spells its markers literally (ChatML) ignore them.
struct ChatSpecialTokens {
  std::string bos;
  std::string eos;
};

// "llama3", "mistral", "chatml", "none": the names parse_chat_family accepts.
const char* chat_family_name(ChatFamily family);

// The CLI override (--chat-template NAME). Exact, lowercase names; InvalidArgument listing the
// valid names otherwise.
Result<ChatFamily> parse_chat_family(std::string_view name);

// Picks the family from the Jinja source (tokenizer_config.json chat_template or GGUF
// tokenizer.chat_template) by the markers it spells: <|start_header_id|> -> Llama-3,
// <|im_start|> -> ChatML, [INST] without Llama-2's <<SYS>> -> Mistral. Only when the source is
// empty (the Mistral tokenizer_config.json in data/tokenizers has none) does `model_hint` (a model
// name or architecture, case-insensitive) decide: "mistral"/"mixtral" -> Mistral. A non-empty
// template that matches no family is kNone rather than a guess from the hint, since rendering it
// with the wrong family would silently change the prompt.
ChatFamily detect_chat_family(std::string_view jinja_source, std::string_view model_hint);

// Renders `messages` as the family's template does. InvalidArgument for an empty conversation
// (transformers rejects those before rendering) and wherever the template calls raise_exception;
// the message then starts with the template's own text (e.g. "Conversation roles must alternate
// user/assistant/user/assistant/...") followed by which message broke the rule.
Result<std::string> render_chat(ChatFamily family,
                                const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt,
                                const ChatSpecialTokens& tokens);

// Jinja's `trim` filter, which is Python str.strip(): removes leading and trailing code points
// for which str.isspace() holds (ASCII \t\n\v\f\r and space, U+001C..001F, U+0085, U+00A0,
// U+1680, U+2000..200A, U+2028, U+2029, U+202F, U+205F, U+3000). Invalid UTF-8 is never stripped.
using hkv::python_strip;  // common/utf8.h

}  // namespace hkv::model
