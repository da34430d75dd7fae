// SmolLM2's tokenizer built from GGUF metadata (tokenizer.ggml.*) against Hugging Face `tokenizers`
// goldens (tools/reference/make_tokenizer_goldens.py): ids, decodes, and the chat rendering.
#include "tokenizer/gguf_tokenizer.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "formats/gguf.h"
#include "tests/testing/data.h"
#include "tokenizer/model_files.h"

namespace hkv::model {
namespace {

std::string decode_or_error(const Tokenizer& t, const std::vector<int32_t>& ids, bool skip) {
  auto r = t.decode(ids, skip);
  return r.ok() ? *r : r.status().to_string();
}

TEST(GgufTokenizerTest, SmolLm2MatchesHuggingFace) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto gguf = GgufFile::open(path);
  ASSERT_TRUE(gguf.ok());
  auto tok = tokenizer_from_gguf(*gguf);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  auto golden = read_json_file(testing::golden_path("tokenizer/smollm2.json"));
  ASSERT_TRUE(golden.ok()) << golden.status().to_string();
  size_t n = 0;
  for (const Json& line : (*golden)["lines"]) {
    std::string text = line["text"];
    std::vector<int32_t> ids = line["ids"];
    ASSERT_EQ(tok->encode(text, false), ids) << "line " << n << ": " << text.substr(0, 60);
    std::string plain =
        line["decode_plain"].is_null() ? text : line["decode_plain"].get<std::string>();
    EXPECT_EQ(decode_or_error(*tok, ids, false), plain) << "line " << n;
    ++n;
  }
  EXPECT_EQ(n, 151u);
  for (const Json& c : (*golden)["decode_cases"]) {
    std::vector<int32_t> ids = c["ids"];
    EXPECT_EQ(decode_or_error(*tok, ids, false), c["decode"].get<std::string>());
    EXPECT_EQ(decode_or_error(*tok, ids, true), c["decode_skip"].get<std::string>());
  }
  EXPECT_FALSE(tok->spec().add_bos);
  EXPECT_EQ(tok->spec().eos_id, 2);
}

TEST(GgufTokenizerTest, SmolLm2ChatPromptIsChatMl) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto tok = load_tokenizer(path);
  ASSERT_TRUE(tok.ok());
  auto family = chat_family_for(*tok, path, std::nullopt);
  ASSERT_TRUE(family.ok());
  EXPECT_EQ(*family, ChatFamily::kChatMl);
  auto prompt = render_user_prompt(*tok, *family, "Hi");
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(*prompt,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  std::vector<int32_t> ids = tok->encode(*prompt, false);
  EXPECT_EQ(ids.front(), 1);  // <|im_start|> is one special token
  EXPECT_TRUE(tok->is_special(1));
}

TEST(GgufTokenizerTest, UnsupportedTokenizerModelIsNamed) {
  EXPECT_EQ(load_tokenizer("/nonexistent.gguf").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hkv::model
