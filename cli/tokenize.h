// `headkv tokenize`: token ids and pieces for a text. Returns the process exit code and prints
// errors (Status::to_string) on stderr.
#pragma once

#include <optional>
#include <string>

namespace hkv::cli {

struct TokenizeOptions {
  std::string model;
  std::optional<std::string> text;
  std::optional<std::string> file;
  bool chat = false;
  std::optional<std::string> chat_template;  // family override
  bool no_special = false;                   // encode(add_special_tokens=false)
};

int run_tokenize(const TokenizeOptions& options);

}  // namespace hkv::cli
