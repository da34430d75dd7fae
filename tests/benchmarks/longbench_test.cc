// LongBench prompts (§6.1-§6.2): templates vs the official config files, Python str.format
// semantics, the model-path rule, middle truncation, chat modes, and the prompt goldens
// (tools/reference/make_prompt_goldens.py).
#include "benchmarks/longbench.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "common/mapped_file.h"
#include "tests/benchmarks/prompt_testing.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"

namespace hkv::jobs {
namespace {

using testing::CharTokenizer;

std::string longbench_dir() {
  return hkv::testing::repo_data_dir() + "/longbench";
}

TEST(LongBenchTasks, BuiltinTableEqualsOfficialConfigFiles) {
  const std::string config = longbench_dir() + "/config";
  HKV_ASSERT_DATA(config);
  Result<std::vector<LongBenchTask>> from_files = read_longbench_tasks(config);
  ASSERT_TRUE(from_files.ok()) << from_files.status().to_string();
  const std::vector<LongBenchTask>& builtin = longbench_builtin_tasks();
  ASSERT_EQ(from_files->size(), builtin.size());
  ASSERT_EQ(builtin.size(), 25u);  // 21 LongBench v1 + 4 LooGLE
  std::map<std::string, const LongBenchTask*> by_name;
  for (const LongBenchTask& task : *from_files) {
    by_name[task.name] = &task;
  }
  for (const LongBenchTask& task : builtin) {
    ASSERT_TRUE(by_name.count(task.name)) << task.name;
    EXPECT_EQ(task.prompt_template, by_name[task.name]->prompt_template) << task.name;
    EXPECT_EQ(task.max_new_tokens, by_name[task.name]->max_new_tokens) << task.name;
    EXPECT_EQ(task.official_chat, by_name[task.name]->official_chat) << task.name;
  }
  // The builtin order is the file's key order (nlohmann's ordered_json keeps it).
  Result<std::string> text = read_file_to_string(config + "/dataset2prompt.json");
  ASSERT_TRUE(text.ok());
  const auto ordered = nlohmann::ordered_json::parse(*text);
  size_t i = 0;
  for (const auto& item : ordered.items()) {
    EXPECT_EQ(builtin[i++].name, item.key());
  }
}

TEST(LongBenchTasks, TableDatasetsHaveTheirGenerationLengths) {
  const std::vector<std::pair<std::string, int32_t>> expected = {
      {"narrativeqa", 128},
      {"qasper", 128},
      {"multifieldqa_en", 64},
      {"hotpotqa", 32},
      {"2wikimqa", 32},
      {"musique", 32},
      {"comprehension_and_reasoning", 64},
      {"multiple_information_retrieval", 64},
      {"timeline_reorder", 32},
      {"computation", 32}};
  ASSERT_EQ(longbench_table_datasets().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(longbench_table_datasets()[i], expected[i].first);
    Result<LongBenchTask> task = find_longbench_task(expected[i].first);
    ASSERT_TRUE(task.ok()) << expected[i].first;
    EXPECT_EQ(task->max_new_tokens, expected[i].second) << expected[i].first;
    EXPECT_TRUE(task->official_chat);
  }
  Result<LongBenchTask> loogle = find_longbench_task("timeline_reorder");
  ASSERT_TRUE(loogle.ok());
  EXPECT_EQ(loogle->prompt_template,
            "Please answer the question based on the long texts below. \n{context}\nQuestion: "
            "{input}\nAnswer:");
  for (const char* name : {"trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p"}) {
    Result<LongBenchTask> task = find_longbench_task(name);
    ASSERT_TRUE(task.ok()) << name;
    EXPECT_FALSE(task->official_chat) << name;
  }
  Result<LongBenchTask> unknown = find_longbench_task("nope");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("qasper"), std::string::npos);
}

struct FormatCase {
  std::string tmpl;
  std::string expected;  // empty with an error code set
  StatusCode code = StatusCode::kOk;
};

TEST(LongBenchFormat, PythonStrFormatSemantics) {
  const std::vector<TemplateField> fields = {{"context", "ctx {input} }{"}, {"input", "q"}};
  const std::vector<FormatCase> cases = {
      {"C: {context}\nQ: {input}", "C: ctx {input} }{\nQ: q"},  // substituted text is inert
      {"{{context}}", "{context}"},
      {"{{{input}}}", "{q}"},
      {"a}}b{{", "a}b{"},
      {"", ""},
      {"{input}{input}", "qq"},
      {"a}b", "", StatusCode::kInvalidArgument},
      {"{input", "", StatusCode::kInvalidArgument},
      {"{in{put}", "", StatusCode::kInvalidArgument},
      {"{}", "", StatusCode::kInvalidArgument},
      {"{0}", "", StatusCode::kInvalidArgument},
      {"{input!r}", "", StatusCode::kInvalidArgument},
      {"{input:>5}", "", StatusCode::kInvalidArgument},
      {"{input.x}", "", StatusCode::kInvalidArgument},
      {"{input[0]}", "", StatusCode::kInvalidArgument},
      {"{answers}", "", StatusCode::kNotFound},
  };
  for (const FormatCase& c : cases) {
    Result<std::string> out = format_python_template(c.tmpl, fields);
    if (c.code == StatusCode::kOk) {
      ASSERT_TRUE(out.ok()) << c.tmpl << ": " << out.status().to_string();
      EXPECT_EQ(*out, c.expected) << c.tmpl;
    } else {
      EXPECT_EQ(out.status().code(), c.code) << c.tmpl;
    }
  }
}

TEST(LongBenchModel, LastMatchingKeyWins) {
  const auto& rules = reference_max_input_rules();
  const std::vector<std::pair<std::string, int32_t>> cases = {
      {"meta-llama/Meta-Llama-3-8B-Instruct", 7950},
      {"mistralai/Mistral-7B-Instruct-v0.2", 31500},
      {"meta-llama/Llama-2-7b-chat-hf", 3950},
      {"/models/LLAMA2-13B", 3950},
      {"/models/llama2-mistral-merge", 31500},  // mistral comes after llama2
      {"/models/mistral-llama3", 31500},        // ... and after llama3
  };
  for (const auto& [path, expected] : cases) {
    Result<int32_t> m = max_input_tokens_for_model(path, rules);
    ASSERT_TRUE(m.ok()) << path;
    EXPECT_EQ(*m, expected) << path;
  }
  EXPECT_EQ(max_input_tokens_for_model("HuggingFaceTB/SmolLM2-135M", rules).status().code(),
            StatusCode::kNotFound);
  const std::vector<MaxInputRule> custom = {{"smollm", 2000}, {"smollm2", 8000}};
  EXPECT_EQ(*max_input_tokens_for_model("HuggingFaceTB/SmolLM2-135M", custom), 8000);

  EXPECT_TRUE(reference_wraps_inst("/m/Llama2-7B-chat"));
  EXPECT_FALSE(reference_wraps_inst("meta-llama/Llama-2-7b-chat-hf"));  // only "llama2" (§6.2)
  EXPECT_FALSE(reference_wraps_inst("meta-llama/Meta-Llama-3-8B-Instruct"));
  Result<LongBenchOptions> options = longbench_reference_options("x/Meta-Llama-3-8B-Instruct");
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->max_input_tokens, 7950);
  EXPECT_EQ(options->chat, LongBenchChat::kReference);
  EXPECT_FALSE(options->wrap_inst);
}

TEST(LongBenchTruncation, KeepsBothHalvesAndReencodes) {
  CharTokenizer tok;
  // [BOS a b c d e f g h i j]: 11 > 4, half 2 -> decode([BOS a], skip) + decode([i j]).
  Result<TokenizedPrompt> out = tokenize_with_middle_truncation(tok, "abcdefghij", {4, true, true});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->truncated);
  EXPECT_EQ(out->text, "aij");
  EXPECT_EQ(out->ids, tok.encode("aij", true));
  // Odd M: half = int(5 / 2) = 2.
  out = tokenize_with_middle_truncation(tok, "abcdefghij", {5, true, true});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->text, "aij");
  // Exactly M tokens: untouched.
  out = tokenize_with_middle_truncation(tok, "abc", {4, true, true});
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->truncated);
  EXPECT_EQ(out->text, "abc");
  // BABILong flavour: special-token text survives, no BOS is added.
  out = tokenize_with_middle_truncation(tok, "<|begin_of_text|>abcdefgh", {4, false, false});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->text, "<|begin_of_text|>agh");
  EXPECT_EQ(out->ids, (std::vector<int32_t>{1, 256 + 'a', 256 + 'g', 256 + 'h'}));
  EXPECT_EQ(tokenize_with_middle_truncation(tok, "abc", {1, true, true}).status().code(),
            StatusCode::kInvalidArgument);
}

LongBenchRecord small_record(std::string context) {
  LongBenchRecord r;
  r.input = "Who?";
  r.context = std::move(context);
  r.answers = {"Ann", "Bob"};
  r.length = 7;
  r.dataset = "qasper";
  r.language = "en";
  r.id = "abc123";
  r.line = 1;
  return r;
}

TEST(LongBenchSample, FieldsAndReferenceChat) {
  CharTokenizer tok;
  Result<LongBenchTask> task = find_longbench_task("qasper");
  ASSERT_TRUE(task.ok());
  LongBenchOptions options;
  options.max_input_tokens = 100000;
  Result<Sample> sample =
      build_longbench_sample(*task, small_record("Some {text}."), 3, tok, options);
  ASSERT_TRUE(sample.ok()) << sample.status().to_string();
  EXPECT_EQ(sample->id, "qasper/3");
  EXPECT_NE(sample->prompt.find("Article: Some {text}.\n\n Answer the question"),
            std::string::npos);
  EXPECT_EQ(sample->prompt_ids, tok.encode(sample->prompt, true));
  EXPECT_FALSE(sample->truncated);
  EXPECT_EQ(sample->references, (std::vector<std::string>{"Ann", "Bob"}));
  EXPECT_EQ(sample->max_new_tokens, 128);
  EXPECT_EQ(sample->min_new_tokens, 1);
  EXPECT_EQ(sample->stop_ids, std::vector<int32_t>{CharTokenizer::kEos});
  EXPECT_EQ(sample->metadata.at("_id"), "abc123");
  EXPECT_EQ(sample->metadata.at("length"), 7);
  EXPECT_TRUE(sample->metadata.at("all_classes").is_null());
  EXPECT_EQ(sample->metadata.at("input"), "Who?");

  options.wrap_inst = true;  // Llama-2 paths: wrapped before tokenisation and truncation
  sample = build_longbench_sample(*task, small_record("x"), 0, tok, options);
  ASSERT_TRUE(sample.ok());
  EXPECT_TRUE(sample->prompt.starts_with("[INST] You are given a scientific article"));
  EXPECT_TRUE(sample->prompt.ends_with("Answer: [/INST]"));
  options.max_input_tokens = 20;
  sample = build_longbench_sample(*task, small_record("x"), 0, tok, options);
  ASSERT_TRUE(sample.ok());
  EXPECT_TRUE(sample->truncated);
  EXPECT_EQ(sample->prompt, "[INST] Yor: [/INST]");  // BOS + 9 chars, then the last 10
}

TEST(LongBenchSample, OfficialChatRendersAfterTruncation) {
  CharTokenizer tok;
  std::vector<std::string> rendered;
  LongBenchOptions options;
  options.max_input_tokens = 10;
  options.chat = LongBenchChat::kOfficial;
  options.render_chat = [&](const std::string& text) -> Result<std::string> {
    rendered.push_back(text);
    return "<|begin_of_text|>[" + text + "]";
  };
  Result<LongBenchTask> qasper = find_longbench_task("qasper");
  Result<Sample> sample = build_longbench_sample(*qasper, small_record("x"), 0, tok, options);
  ASSERT_TRUE(sample.ok());
  ASSERT_EQ(rendered.size(), 1u);
  EXPECT_EQ(rendered[0], "You swer:");  // half = 5 tokens: BOS + "You " and "swer:"
  EXPECT_EQ(sample->prompt, "<|begin_of_text|>[You swer:]");
  EXPECT_EQ(sample->prompt_ids, tok.encode(sample->prompt, false));  // one BOS, from the text
  EXPECT_TRUE(sample->truncated);

  Result<LongBenchTask> trec = find_longbench_task("trec");  // no chat in pred.py
  sample = build_longbench_sample(*trec, small_record("x"), 0, tok, options);
  ASSERT_TRUE(sample.ok());
  EXPECT_EQ(rendered.size(), 1u);
  EXPECT_EQ(sample->prompt_ids, tok.encode(sample->prompt, true));

  options.render_chat = nullptr;
  EXPECT_EQ(build_longbench_sample(*qasper, small_record("x"), 0, tok, options).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(LongBenchJsonl, ErrorsNameFileLineAndField) {
  hkv::testing::TempDir dir;
  const std::string good =
      R"({"input": "q", "context": "c", "answers": ["a"], "length": 3, "dataset": "d", )"
      R"("language": "en", "all_classes": null, "_id": "i1"})";
  const std::string classes =
      R"({"input": "q", "context": "c", "answers": [], "length": 3, "dataset": "d", )"
      R"("language": "en", "all_classes": ["x", "y"], "_id": "i2"})";
  std::string path = dir.write("ok.jsonl", good + "\n\n" + classes + "\r\n");
  Result<std::vector<LongBenchRecord>> records = read_longbench_jsonl(path);
  ASSERT_TRUE(records.ok()) << records.status().to_string();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].line, 1u);
  EXPECT_FALSE((*records)[0].all_classes.has_value());
  EXPECT_EQ((*records)[1].line, 3u);  // blank line 2 skipped but counted
  EXPECT_EQ((*records)[1].all_classes, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(read_longbench_jsonl(path, 1)->size(), 1u);

  struct BadCase {
    std::string line;
    std::string message;
  };

  const std::vector<BadCase> bad = {
      {R"({"input": "q"})", ":2: $.context: required field is missing"},
      {R"({"input": "q", "context": "c", "answers": "a"})",
       ":2: $.answers: expected array, got string"},
      {R"({"input": "q", "context": "c", "answers": [1])", ":2: malformed JSON"},
      {R"({"input": "q", "context": "c", "answers": [1]})", ":2: $.answers[0]: expected string"},
      {R"(["not an object"])", ":2: expected a JSON object per line, got array"},
  };
  for (const BadCase& c : bad) {
    const std::string bad_path = dir.write("bad.jsonl", good + "\n" + c.line + "\n");
    Result<std::vector<LongBenchRecord>> r = read_longbench_jsonl(bad_path);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_NE(r.status().message().find(bad_path + c.message), std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(read_longbench_jsonl(dir.path() + "/missing.jsonl").status().code(),
            StatusCode::kNotFound);
}

// Golden "reference" cases without truncation: the prompt text does not depend on the tokenizer,
// so the string builder must reproduce the Llama-3 golden exactly. (Truncated cases and the ids
// need the real tokenizer: wired by the worker tests.)
TEST(LongBenchGolden, UntruncatedReferencePromptsMatch) {
  HKV_ASSERT_DATA(longbench_dir() + "/qasper.jsonl");
  const Json golden = testing::load_prompt_golden("longbench.json");
  int checked = 0;
  for (const Json& c : golden.at("reference")) {
    if (c.at("truncated").get<bool>()) {
      continue;
    }
    const std::string dataset = c.at("dataset").get<std::string>();
    Result<std::vector<LongBenchRecord>> records =
        read_longbench_jsonl(longbench_jsonl_path(longbench_dir(), dataset), 5);
    ASSERT_TRUE(records.ok());
    const LongBenchRecord& record = (*records)[c.at("index").get<size_t>()];
    EXPECT_EQ(record.id, c.at("_id").get<std::string>());
    Result<std::string> prompt = format_longbench_prompt(*find_longbench_task(dataset), record);
    ASSERT_TRUE(prompt.ok());
    testing::expect_text_digest(c.at("prompt"), *prompt, dataset + " " + c.at("_id").dump());
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

// Golden "fake" cases: the whole builder (formatting, truncation decision, decode/encode of both
// halves) against the independent Python implementation over the same character tokenizer.
TEST(LongBenchGolden, FakeTokenizerSamplesMatch) {
  HKV_ASSERT_DATA(longbench_dir() + "/qasper.jsonl");
  const Json golden = testing::load_prompt_golden("longbench.json");
  auto tok = std::make_shared<CharTokenizer>();
  int checked = 0;
  for (const Json& c : golden.at("fake")) {
    const std::string dataset = c.at("dataset").get<std::string>();
    LongBenchOptions options;
    options.max_input_tokens = c.at("max_input_tokens").get<int32_t>();
    Result<LongBenchDataset> ds =
        LongBenchDataset::open(longbench_jsonl_path(longbench_dir(), dataset),
                               *find_longbench_task(dataset), tok, options, 5);
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    const size_t index = c.at("index").get<size_t>();
    Result<Sample> sample = ds->sample(index);
    ASSERT_TRUE(sample.ok()) << sample.status().to_string();
    const std::string label = sample->id + " M=" + std::to_string(options.max_input_tokens);
    EXPECT_EQ(sample->id, dataset + "/" + std::to_string(index));
    EXPECT_EQ(sample->truncated, c.at("truncated").get<bool>()) << label;
    EXPECT_EQ(sample->max_new_tokens, c.at("max_new_tokens").get<int32_t>()) << label;
    EXPECT_EQ(sample->metadata.at("_id"), c.at("_id")) << label;
    testing::expect_text_digest(c.at("prompt"), sample->prompt, label);
    testing::expect_ids_digest(c.at("ids"), sample->prompt_ids, label);
    ++checked;
  }
  EXPECT_EQ(checked, 30);
}

TEST(LongBenchDatasetTest, LimitsOrderAndBounds) {
  HKV_ASSERT_DATA(longbench_dir() + "/multi_news.jsonl");
  auto tok = std::make_shared<CharTokenizer>();
  LongBenchOptions options;
  options.max_input_tokens = 1000;
  Result<LongBenchDataset> ds =
      LongBenchDataset::open(longbench_jsonl_path(longbench_dir(), "multi_news"),
                             *find_longbench_task("multi_news"), tok, options, 3);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->name(), "multi_news");
  EXPECT_EQ(ds->size(), 3u);
  Result<std::vector<Sample>> all = build_all_samples(*ds);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[2].id, "multi_news/2");
  EXPECT_EQ((*all)[2].prompt_ids.size(), 1000u);
  EXPECT_EQ(ds->sample(3).status().code(), StatusCode::kOutOfRange);
  options.max_input_tokens = 0;
  EXPECT_EQ(LongBenchDataset::open(longbench_jsonl_path(longbench_dir(), "multi_news"),
                                   *find_longbench_task("multi_news"), tok, options)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hkv::jobs
