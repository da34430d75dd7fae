// BABILong prompts (§8): the exact task strings, Python .strip(), the split rule, truncation that
// keeps special-token text, and the prompt goldens (tools/reference/make_prompt_goldens.py).
#include "benchmarks/babilong.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/utf8.h"
#include "tests/benchmarks/prompt_testing.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"

namespace hkv::jobs {
namespace {

using testing::CharTokenizer;

std::string babilong_dir() {
  return hkv::testing::repo_data_dir() + "/babilong";
}

TEST(BabilongPrompts, ExactStringsAndQuirks) {
  EXPECT_EQ(babilong_tasks(), (std::vector<std::string>{"qa1", "qa2", "qa3", "qa4", "qa5"}));
  Result<BabilongTaskPrompt> qa1 = babilong_task_prompt("qa1");
  Result<BabilongTaskPrompt> qa2 = babilong_task_prompt("qa2");
  Result<BabilongTaskPrompt> qa3 = babilong_task_prompt("qa3");
  ASSERT_TRUE(qa1.ok() && qa2.ok() && qa3.ok());
  EXPECT_NE(qa1->post_prompt.find("location of \u2019person\u2019 is \u2019location\u2019."),
            std::string::npos);
  EXPECT_NE(qa2->post_prompt.find("The \u2019item\u2019 is in \u2019location\u2019."),
            std::string::npos);
  EXPECT_NE(qa2->instruction.find("a question.You need"), std::string::npos);
  EXPECT_NE(qa3->instruction.find("a question. You need"), std::string::npos);
  EXPECT_NE(qa1->examples.find("</example>\n\n<example>"), std::string::npos);
  EXPECT_NE(qa2->examples.find("</example>\n<example>"), std::string::npos);
  // Pinned by hash: any edit to the §8 strings shows up here (and in the golden text digests).
  std::string all;
  for (const std::string& task : babilong_tasks()) {
    Result<BabilongTaskPrompt> p = babilong_task_prompt(task);
    ASSERT_TRUE(p.ok());
    all += std::string(p->instruction) + "|" + std::string(p->examples) + "|" +
           std::string(p->post_prompt) + "|";
  }
  EXPECT_EQ(all.size(), 4356u);
  EXPECT_EQ(testing::text_fnv1a64(all), "f9a39c7f6356d2be");  // make_prompt_goldens.py strings
  EXPECT_EQ(babilong_task_prompt("qa6").status().code(), StatusCode::kNotFound);
}

TEST(BabilongPrompts, SplitsFollowTheInputLimit) {
  const std::vector<std::string> short_splits = {"0k", "1k", "2k", "4k", "8k"};
  const std::vector<std::string> long_splits = {"0k", "1k", "2k", "4k", "8k", "16k", "32k"};
  EXPECT_EQ(babilong_splits(7950), short_splits);
  EXPECT_EQ(babilong_splits(9999), short_splits);
  EXPECT_EQ(babilong_splits(10000), long_splits);
  EXPECT_EQ(babilong_splits(31500), long_splits);
  EXPECT_EQ(*babilong_split_index("0k"), 0);
  EXPECT_EQ(*babilong_split_index("8k"), 4);
  EXPECT_EQ(*babilong_split_index("32k"), 6);
  EXPECT_EQ(babilong_split_index("3k").status().code(), StatusCode::kNotFound);
}

TEST(BabilongPrompts, PythonStrip) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"  a b \n", "a b"},
      {"\t\v\f\r\x1c\x1d\x1e\x1fx\u0085", "x"},
      {"\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000y\u3000", "y"},
      {"\u200bz\u200b", "\u200bz\u200b"},  // ZERO WIDTH SPACE is not whitespace for Python
      {"\xff \xff", "\xff \xff"},          // invalid UTF-8 is never stripped
      {" \xe3\x80", "\xe3\x80"},           // nor a truncated sequence
      {"   ", ""},
      {"", ""},
  };
  for (const auto& [in, out] : cases) {
    EXPECT_EQ(python_strip(in), out) << testing::text_fnv1a64(in);
  }
}

TEST(BabilongPrompts, TemplateStripsContextAndWholeText) {
  BabilongRecord record{"  \nMary went home.\n ", "Where is Mary? ", "home", 1};
  Result<std::string> text = format_babilong_text("qa4", record);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(text->starts_with("I will give you context with the facts about different people"));
  EXPECT_NE(text->find("\n\n<context>\nMary went home.\n</context>\n\nQuestion: "),
            std::string::npos);
  EXPECT_TRUE(text->ends_with("Question: Where is Mary?"));  // the outer .strip()
}

TEST(BabilongSample, FieldsTruncationAndErrors) {
  CharTokenizer tok;
  BabilongRecord record{"Mary went home. " + std::string(3000, 'x'), "Where is Mary?", "home", 4};
  BabilongOptions options;
  options.max_input_tokens = 7950;
  options.render_chat = testing::render_llama3;
  Result<Sample> sample = build_babilong_sample("qa1", "2k", record, 9, tok, options);
  ASSERT_TRUE(sample.ok()) << sample.status().to_string();
  EXPECT_EQ(sample->id, "qa1/2k/9");
  EXPECT_FALSE(sample->truncated);
  EXPECT_EQ(sample->references, std::vector<std::string>{"home"});
  EXPECT_EQ(sample->max_new_tokens, 15);
  EXPECT_EQ(sample->min_new_tokens, 1);
  EXPECT_EQ(sample->stop_ids, std::vector<int32_t>{CharTokenizer::kEos});
  EXPECT_EQ(sample->metadata.at("setting"), "split 2: 2k");
  EXPECT_EQ(sample->metadata.at("input"), "Where is Mary?");
  EXPECT_EQ(sample->metadata.at("dataset"), "qa1");
  // add_special_tokens=false: the only BOS is the template's.
  ASSERT_GE(sample->prompt_ids.size(), 2u);
  EXPECT_EQ(sample->prompt_ids[0], CharTokenizer::kBos);
  EXPECT_NE(sample->prompt_ids[1], CharTokenizer::kBos);

  options.max_input_tokens = 64;
  sample = build_babilong_sample("qa1", "2k", record, 0, tok, options);
  ASSERT_TRUE(sample.ok());
  EXPECT_TRUE(sample->truncated);
  EXPECT_EQ(sample->prompt_ids.size(), 64u);
  // Decoded without skip_special_tokens: the header survives as text and is parsed back.
  EXPECT_TRUE(sample->prompt.starts_with("<|begin_of_text|><|start_header_id|>user"));
  EXPECT_TRUE(sample->prompt.ends_with("<|end_header_id|>\n\n"));  // last 32 characters
  EXPECT_EQ(sample->prompt_ids[0], CharTokenizer::kBos);

  EXPECT_EQ(build_babilong_sample("qa9", "2k", record, 0, tok, options).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(build_babilong_sample("qa1", "5k", record, 0, tok, options).status().code(),
            StatusCode::kNotFound);
  options.render_chat = nullptr;
  EXPECT_EQ(build_babilong_sample("qa1", "2k", record, 0, tok, options).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(BabilongJsonl, ErrorsAndMissingSplits) {
  hkv::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/0k");
  dir.write("0k/qa1.jsonl",
            "{\"input\": \"i\", \"question\": \"q\", \"target\": \"t\"}\n"
            "{\"input\": \"i\", \"question\": 3, \"target\": \"t\"}\n");
  Result<std::vector<BabilongRecord>> first = read_babilong_jsonl(dir.path() + "/0k/qa1.jsonl", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].target, "t");
  Result<std::vector<BabilongRecord>> all = read_babilong_jsonl(dir.path() + "/0k/qa1.jsonl");
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("qa1.jsonl:2: $.question: expected string, got number"),
            std::string::npos)
      << all.status().message();
  BabilongOptions options{7950, testing::render_llama3};
  Result<BabilongDataset> missing =
      BabilongDataset::open(dir.path(), "qa1", "8k", std::make_shared<CharTokenizer>(), options);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("8k/qa1.jsonl"), std::string::npos);
}

// Golden "reference" cases: the user text and (for untruncated prompts) the rendered chat prompt
// do not depend on the tokenizer, so they must equal transformers' output byte for byte.
TEST(BabilongGolden, ReferenceTextsAndRenderedPromptsMatch) {
  HKV_ASSERT_DATA(babilong_dir() + "/2k/qa1.jsonl");
  const Json golden = testing::load_prompt_golden("babilong.json");
  int rendered_checked = 0;
  for (const Json& c : golden.at("reference")) {
    const std::string task = c.at("task").get<std::string>();
    const std::string split = c.at("split").get<std::string>();
    Result<std::vector<BabilongRecord>> records =
        read_babilong_jsonl(babilong_jsonl_path(babilong_dir(), split, task), 2);
    ASSERT_TRUE(records.ok()) << records.status().to_string();
    const BabilongRecord& record = (*records)[c.at("index").get<size_t>()];
    const std::string label = task + "/" + split + "/" + c.at("index").dump();
    Result<std::string> text = format_babilong_text(task, record);
    ASSERT_TRUE(text.ok());
    testing::expect_text_digest(c.at("text"), *text, label);
    if (!c.at("truncated").get<bool>()) {
      Result<std::string> prompt = testing::render_llama3(*text);
      testing::expect_text_digest(c.at("prompt"), *prompt, label);
      ++rendered_checked;
    }
  }
  EXPECT_EQ(rendered_checked, 20);
}

TEST(BabilongGolden, FakeTokenizerSamplesMatch) {
  HKV_ASSERT_DATA(babilong_dir() + "/2k/qa1.jsonl");
  const Json golden = testing::load_prompt_golden("babilong.json");
  auto tok = std::make_shared<CharTokenizer>();
  int checked = 0;
  for (const Json& c : golden.at("fake")) {
    BabilongOptions options{c.at("max_input_tokens").get<int32_t>(), testing::render_llama3};
    Result<BabilongDataset> ds =
        BabilongDataset::open(babilong_dir(), c.at("task").get<std::string>(),
                              c.at("split").get<std::string>(), tok, options, 2);
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    Result<Sample> sample = ds->sample(c.at("index").get<size_t>());
    ASSERT_TRUE(sample.ok()) << sample.status().to_string();
    const std::string label = sample->id + " M=" + std::to_string(options.max_input_tokens);
    EXPECT_EQ(sample->truncated, c.at("truncated").get<bool>()) << label;
    testing::expect_text_digest(c.at("prompt"), sample->prompt, label);
    testing::expect_ids_digest(c.at("ids"), sample->prompt_ids, label);
    ++checked;
  }
  EXPECT_EQ(checked, 30);
}

}  // namespace
}  // namespace hkv::jobs
