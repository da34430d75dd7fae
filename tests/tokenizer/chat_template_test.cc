// Chat templates against goldens rendered by jinja2 / transformers (tools/reference/
// make_chat_goldens.py): every golden conversation must render byte-identically or fail with the
// template's own error, and detection must recognise the real template sources.
#include "tokenizer/chat_template.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/testing/data.h"

namespace hkv::model {
namespace {

struct GoldenCase {
  std::string name;
  std::vector<ChatMessage> messages;
  bool add_generation_prompt = false;
  std::string expected;  // the rendering, when error is empty
  std::string error;     // the raise_exception / transformers message, when rendering fails
};

struct GoldenFile {
  std::string family;
  std::string template_source;
  std::string model_hint;
  ChatSpecialTokens tokens;
  std::vector<GoldenCase> cases;
};

Result<GoldenCase> parse_case(const JsonRef& node) {
  GoldenCase c;
  HKV_ASSIGN_OR_RETURN(c.name, node.get<std::string>("name"));
  HKV_ASSIGN_OR_RETURN(c.add_generation_prompt, node.get<bool>("add_generation_prompt"));
  HKV_ASSIGN_OR_RETURN(c.expected, node.get_or<std::string>("expected", ""));
  HKV_ASSIGN_OR_RETURN(c.error, node.get_or<std::string>("error", ""));
  HKV_ASSIGN_OR_RETURN(JsonRef messages, node.at("messages"));
  for (size_t i = 0; i < messages.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef m, messages.at(i));
    ChatMessage message;
    HKV_ASSIGN_OR_RETURN(message.role, m.get<std::string>("role"));
    HKV_ASSIGN_OR_RETURN(message.content, m.get<std::string>("content"));
    c.messages.push_back(std::move(message));
  }
  return c;
}

Result<GoldenFile> load_golden(const std::string& path) {
  HKV_ASSIGN_OR_RETURN(Json doc, read_json_file(path));
  JsonRef root(doc, path);
  GoldenFile g;
  HKV_ASSIGN_OR_RETURN(g.family, root.get<std::string>("family"));
  HKV_ASSIGN_OR_RETURN(g.template_source, root.get<std::string>("template_source"));
  HKV_ASSIGN_OR_RETURN(g.model_hint, root.get<std::string>("model_hint"));
  HKV_ASSIGN_OR_RETURN(g.tokens.bos, root.get<std::string>("bos_token"));
  HKV_ASSIGN_OR_RETURN(g.tokens.eos, root.get<std::string>("eos_token"));
  HKV_ASSIGN_OR_RETURN(JsonRef cases, root.at("cases"));
  for (size_t i = 0; i < cases.size(); ++i) {
    HKV_ASSIGN_OR_RETURN(JsonRef node, cases.at(i));
    HKV_ASSIGN_OR_RETURN(GoldenCase c, parse_case(node));
    g.cases.push_back(std::move(c));
  }
  return g;
}

class ChatTemplateGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatTemplateGoldenTest, RendersEveryCaseLikeJinja) {
  Result<GoldenFile> golden = load_golden(testing::golden_path("chat/" + GetParam() + ".json"));
  ASSERT_TRUE(golden.ok()) << golden.status().to_string();
  Result<ChatFamily> family = parse_chat_family(golden->family);
  ASSERT_TRUE(family.ok()) << family.status().to_string();
  ASSERT_GE(golden->cases.size(), 15u);
  for (const GoldenCase& c : golden->cases) {
    SCOPED_TRACE(golden->family + "/" + c.name);
    Result<std::string> got =
        render_chat(*family, c.messages, c.add_generation_prompt, golden->tokens);
    if (c.error.empty()) {
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      EXPECT_EQ(*got, c.expected);
    } else {
      ASSERT_FALSE(got.ok()) << "rendered " << *got;
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      // The C++ message is the template's text plus which message broke the rule.
      EXPECT_EQ(got.status().message().rfind(c.error, 0), 0u) << got.status().message();
    }
  }
}

TEST_P(ChatTemplateGoldenTest, DetectsFamilyFromStoredTemplateSource) {
  Result<GoldenFile> golden = load_golden(testing::golden_path("chat/" + GetParam() + ".json"));
  ASSERT_TRUE(golden.ok()) << golden.status().to_string();
  EXPECT_STREQ(chat_family_name(detect_chat_family(golden->template_source, golden->model_hint)),
               golden->family.c_str());
  // The template wins over any hint.
  EXPECT_STREQ(chat_family_name(detect_chat_family(golden->template_source, "mistral")),
               golden->family.c_str());
}

// No instantiation prefix, so --gtest_filter=ChatTemplate* selects these too.
INSTANTIATE_TEST_SUITE_P(,
                         ChatTemplateGoldenTest,
                         ::testing::Values("llama3", "mistral", "chatml"),
                         [](const auto& info) { return info.param; });

TEST(ChatTemplateDetectTest, Llama3FromSharedTokenizerConfig) {
  const std::string path = testing::repo_data_dir() + "/tokenizers/llama3/tokenizer_config.json";
  HKV_ASSERT_DATA(path);
  Result<Json> doc = read_json_file(path);
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  Result<std::string> source = JsonRef(*doc, path).get<std::string>("chat_template");
  ASSERT_TRUE(source.ok()) << source.status().to_string();
  EXPECT_EQ(detect_chat_family(*source, "llama"), ChatFamily::kLlama3);
}

TEST(ChatTemplateDetectTest, MistralFromHintWhenSharedConfigHasNoTemplate) {
  const std::string path = testing::repo_data_dir() + "/tokenizers/mistral/tokenizer_config.json";
  HKV_ASSERT_DATA(path);
  Result<Json> doc = read_json_file(path);
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  ASSERT_FALSE(JsonRef(*doc, path).has("chat_template")) << "the config gained a template";
  EXPECT_EQ(detect_chat_family("", "Mistral-7B-Instruct-v0.2"), ChatFamily::kMistralInstruct);
  EXPECT_EQ(detect_chat_family("", "MIXTRAL"), ChatFamily::kMistralInstruct);
  EXPECT_EQ(detect_chat_family("", "llama"), ChatFamily::kNone);
  EXPECT_EQ(detect_chat_family("", ""), ChatFamily::kNone);
}

TEST(ChatTemplateDetectTest, UnknownOrLlama2TemplateIsNone) {
  // Llama-2 chat spells [INST] too, but with <<SYS>> system blocks: a different format.
  EXPECT_EQ(detect_chat_family("{{ bos_token + '[INST] <<SYS>>\\n' + system + '\\n<</SYS>>' }}",
                               "mistral"),
            ChatFamily::kNone);
  // A template we cannot render is not overridden by the hint.
  EXPECT_EQ(detect_chat_family("{{ messages[0]['content'] }}", "mistral"), ChatFamily::kNone);
}

TEST(ChatTemplateParseTest, AcceptsEveryFamilyName) {
  for (ChatFamily f : {ChatFamily::kLlama3, ChatFamily::kMistralInstruct, ChatFamily::kChatMl,
                       ChatFamily::kNone}) {
    Result<ChatFamily> parsed = parse_chat_family(chat_family_name(f));
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_EQ(*parsed, f);
  }
}

TEST(ChatTemplateParseTest, RejectsUnknownNamesListingValidOnes) {
  for (const char* bad : {"", "llama2", "Llama3", "chat-ml", " none"}) {
    Result<ChatFamily> parsed = parse_chat_family(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("llama3, mistral, chatml, none"), std::string::npos)
        << parsed.status().message();
    EXPECT_NE(parsed.status().message().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(ChatTemplateRenderTest, NoneConcatenatesContents) {
  Result<std::string> got =
      render_chat(ChatFamily::kNone, {{"system", "a "}, {"user", " b\n"}}, true, {"<s>", "</s>"});
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, "a  b\n");
}

TEST(ChatTemplateRenderTest, EmptyConversationIsAnErrorInEveryFamily) {
  for (ChatFamily f : {ChatFamily::kLlama3, ChatFamily::kMistralInstruct, ChatFamily::kChatMl,
                       ChatFamily::kNone}) {
    Result<std::string> got = render_chat(f, {}, true, {"<s>", "</s>"});
    ASSERT_FALSE(got.ok()) << chat_family_name(f);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ChatTemplateRenderTest, MistralErrorNamesTheOffendingMessage) {
  Result<std::string> got =
      render_chat(ChatFamily::kMistralInstruct,
                  {{"user", "a"}, {"assistant", "b"}, {"assistant", "c"}}, false, {"<s>", "</s>"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "Conversation roles must alternate user/assistant/user/assistant/... (message 2 has "
            "role 'assistant')");
}

TEST(ChatTemplateTrimTest, MatchesPythonStrStrip) {
  EXPECT_EQ(python_strip(""), "");
  EXPECT_EQ(python_strip(" \t\n\v\f\r"), "");
  EXPECT_EQ(python_strip("\x1c\x1d\x1e\x1fx\x1f"), "x");
  EXPECT_EQ(python_strip("\xc2\xa0 a b \xe3\x80\x80"), "a b");        // NBSP, U+3000
  EXPECT_EQ(python_strip("\xc2\x85x\xe2\x80\xa8\xe2\x80\xa9"), "x");  // NEL, U+2028/9
  EXPECT_EQ(python_strip("\xe2\x80\x8bx\xef\xbb\xbf"), "\xe2\x80\x8bx\xef\xbb\xbf");  // ZWSP, BOM
  EXPECT_EQ(python_strip(" \xff "), "\xff");          // invalid UTF-8 is content, not whitespace
  EXPECT_EQ(python_strip(" \xa0"), "\xa0");           // a lone continuation byte is not NBSP
  EXPECT_EQ(python_strip("\xc0\xa0x"), "\xc0\xa0x");  // overlong encoding of a space
  EXPECT_EQ(python_strip(" \xf0\x9f\x8e\x89 "), "\xf0\x9f\x8e\x89");  // U+1F389 kept
}

}  // namespace
}  // namespace hkv::model
