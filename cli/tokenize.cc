// `headkv tokenize --model PATH (--text T | --file F) [--chat]`: ids and pieces.
#include "cli/tokenize.h"

#include <cstdio>

#include "common/mapped_file.h"
#include "tokenizer/model_files.h"

namespace hkv::cli {
namespace {

// Pieces are shown as their bytes with control characters escaped, so whitespace is visible.
std::string printable(const std::string& bytes) {
  std::string out;
  for (unsigned char ch : bytes) {
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

int fail(const Status& status) {
  std::fprintf(stderr, "headkv tokenize: %s\n", status.to_string().c_str());
  return 1;
}

}  // namespace

int run_tokenize(const TokenizeOptions& options) {
  std::string text;
  if (options.text.has_value()) {
    text = *options.text;
  } else {
    auto contents = read_file_to_string(*options.file);
    if (!contents.ok()) {
      return fail(contents.status());
    }
    text = std::move(contents).value();
  }
  auto tokenizer = model::load_tokenizer(options.model);
  if (!tokenizer.ok()) {
    return fail(tokenizer.status());
  }
  bool add_special = !options.no_special;
  if (options.chat) {
    auto family = model::chat_family_for(*tokenizer, options.model, options.chat_template);
    if (!family.ok()) {
      return fail(family.status());
    }
    auto rendered = model::render_user_prompt(*tokenizer, *family, text);
    if (!rendered.ok()) {
      return fail(rendered.status());
    }
    std::printf("chat template: %s\n", model::chat_family_name(*family));
    text = std::move(rendered).value();
    add_special = false;  // the template carries BOS
  }
  Result<std::vector<int32_t>> encoded = tokenizer->try_encode(text, add_special);
  if (!encoded.ok()) {
    return fail(encoded.status());
  }
  const std::vector<int32_t>& ids = *encoded;
  std::printf("%zu tokens\nids:", ids.size());
  for (int32_t id : ids) {
    std::printf(" %d", id);
  }
  std::printf("\npieces:\n");
  for (size_t i = 0; i < ids.size(); ++i) {
    std::printf("%6zu %8d  %s%s\n", i, ids[i], printable(tokenizer->token_bytes(ids[i])).c_str(),
                tokenizer->is_special(ids[i]) ? "  (special)" : "");
  }
  return 0;
}

}  // namespace hkv::cli
