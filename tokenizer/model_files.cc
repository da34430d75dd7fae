// Path dispatch for tokenizers and the chat-prompt helper.
#include "tokenizer/model_files.h"

#include <filesystem>

#include "formats/gguf.h"
#include "formats/weights.h"
#include "tokenizer/gguf_tokenizer.h"

namespace hkv::model {

Result<Tokenizer> load_tokenizer(const std::string& model_path) {
  const std::string path = strip_random_prefix(model_path);  // random weights: the folder's
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Tokenizer::from_hf_json(path + "/tokenizer.json");
  }
  if (!std::filesystem::exists(path, ec)) {
    return errorf(StatusCode::kNotFound,
                  "'%s' does not exist (expected a model folder, a .gguf "
                  "file or a tokenizer.json)",
                  path.c_str());
  }
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
    return Tokenizer::from_hf_json(path);
  }
  HKV_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(path));
  return tokenizer_from_gguf(gguf);
}

Result<ChatFamily> chat_family_for(const Tokenizer& tokenizer,
                                   const std::string& model_path,
                                   const std::optional<std::string>& override_name) {
  if (override_name.has_value()) {
    return parse_chat_family(*override_name);
  }
  return detect_chat_family(tokenizer.spec().chat_template, model_path);
}

Result<std::string> render_user_prompt(const Tokenizer& tokenizer,
                                       ChatFamily family,
                                       const std::string& user_text) {
  const TokenizerSpec& spec = tokenizer.spec();
  ChatSpecialTokens tokens;
  if (spec.bos_id.has_value()) {
    tokens.bos = std::string(tokenizer.token_string(*spec.bos_id));
  }
  if (spec.eos_id.has_value()) {
    tokens.eos = std::string(tokenizer.token_string(*spec.eos_id));
  }
  return render_chat(family, {{"user", user_text}}, /*add_generation_prompt=*/true, tokens);
}

}  // namespace hkv::model
