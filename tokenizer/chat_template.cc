// Hand-written chat-template renderers. Each render_* function is a line-by-line transcription of
// its family's reference Jinja template (quoted above it), so a reviewer can diff the two.
#include "tokenizer/chat_template.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

#include "common/utf8.h"

namespace hkv::model {
namespace {

constexpr std::string_view kEmptyConversation =
    "Cannot apply chat template to an empty conversation. Provide at least one message.";

Status template_error(std::string_view what, size_t index, const ChatMessage& message) {
  return errorf(StatusCode::kInvalidArgument, "%.*s (message %zu has role '%s')",
                static_cast<int>(what.size()), what.data(), index, message.role.c_str());
}

// {% set loop_messages = messages %}{% for message in loop_messages %}
//   {% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'
//                    + message['content'] | trim + '<|eot_id|>' %}
//   {% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}
// {% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
// `|` binds tighter than `+`, so only the content is trimmed, never the role. The trailing
// assistant header is unconditional in this template.
std::string render_llama3(const std::vector<ChatMessage>& messages,
                          const ChatSpecialTokens& tokens) {
  std::string out = tokens.bos;
  for (const ChatMessage& m : messages) {
    out += "<|start_header_id|>";
    out += m.role;
    out += "<|end_header_id|>\n\n";
    out += python_strip(m.content);
    out += "<|eot_id|>";
  }
  out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

// {{ bos_token }}{% for message in messages %}
//   {% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
//     {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
//   {% endif %}
//   {% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}
//   {% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}
//   {% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}
// {% endfor %}
// The alternation check runs first, so a leading system message reports the alternation error.
Result<std::string> render_mistral(const std::vector<ChatMessage>& messages,
                                   const ChatSpecialTokens& tokens) {
  std::string out = tokens.bos;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if ((m.role == "user") != (i % 2 == 0)) {
      return template_error("Conversation roles must alternate user/assistant/user/assistant/...",
                            i, m);
    }
    if (m.role == "user") {
      out += "[INST] ";
      out += m.content;
      out += " [/INST]";
    } else if (m.role == "assistant") {
      out += m.content;
      out += tokens.eos;
    } else {
      return template_error("Only user and assistant roles are supported!", i, m);
    }
  }
  return out;
}

// {% for message in messages %}
//   {% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a
//     helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}
//   {{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}
// {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
std::string render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  if (messages.front().role != "system") {
    out +=
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
        "Face<|im_end|>\n";
  }
  for (const ChatMessage& m : messages) {
    out += "<|im_start|>";
    out += m.role;
    out += "\n";
    out += m.content;
    out += "<|im_end|>\n";
  }
  if (add_generation_prompt) {
    out += "<|im_start|>assistant\n";
  }
  return out;
}

std::string render_none(const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const ChatMessage& m : messages) {
    out += m.content;
  }
  return out;
}

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

}  // namespace

const char* chat_family_name(ChatFamily family) {
  switch (family) {
    case ChatFamily::kLlama3:
      return "llama3";
    case ChatFamily::kMistralInstruct:
      return "mistral";
    case ChatFamily::kChatMl:
      return "chatml";
    case ChatFamily::kNone:
      return "none";
  }
  return "none";
}

Result<ChatFamily> parse_chat_family(std::string_view name) {
  for (ChatFamily family : {ChatFamily::kLlama3, ChatFamily::kMistralInstruct, ChatFamily::kChatMl,
                            ChatFamily::kNone}) {
    if (name == chat_family_name(family)) {
      return family;
    }
  }
  return errorf(StatusCode::kInvalidArgument,
                "unknown chat template family '%.*s', expected one of: llama3, mistral, chatml, "
                "none",
                static_cast<int>(name.size()), name.data());
}

ChatFamily detect_chat_family(std::string_view jinja_source, std::string_view model_hint) {
  if (!jinja_source.empty()) {
    if (contains(jinja_source, "<|start_header_id|>")) {
      return ChatFamily::kLlama3;
    }
    if (contains(jinja_source, "<|im_start|>")) {
      return ChatFamily::kChatMl;
    }
    // Llama-2 chat also uses [INST] but wraps the system prompt in <<SYS>>; it is not Mistral.
    if (contains(jinja_source, "[INST]") && !contains(jinja_source, "<<SYS>>")) {
      return ChatFamily::kMistralInstruct;
    }
    return ChatFamily::kNone;
  }
  std::string hint(model_hint);
  std::transform(hint.begin(), hint.end(), hint.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (contains(hint, "mistral") || contains(hint, "mixtral")) {
    return ChatFamily::kMistralInstruct;
  }
  return ChatFamily::kNone;
}

Result<std::string> render_chat(ChatFamily family,
                                const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt,
                                const ChatSpecialTokens& tokens) {
  // Checked once here, so every renderer may assume a first message (bos, ChatML's default system).
  if (messages.empty()) {
    return Status(StatusCode::kInvalidArgument, std::string(kEmptyConversation));
  }
  switch (family) {
    case ChatFamily::kLlama3:
      return render_llama3(messages, tokens);
    case ChatFamily::kMistralInstruct:
      return render_mistral(messages, tokens);
    case ChatFamily::kChatMl:
      return render_chatml(messages, add_generation_prompt);
    case ChatFamily::kNone:
      return render_none(messages);
  }
  return errorf(StatusCode::kInternal, "render_chat: unhandled ChatFamily %d",
                static_cast<int>(family));
}

}  // namespace hkv::model
