// LongBench/LooGLE prompt construction (§6.1-§6.2). The template table is a verbatim copy of
// THUDM/LongBench config/ (checked against the files by longbench_test) plus LooGLE.
#include "benchmarks/longbench.h"

#include <algorithm>
#include <map>
#include <utility>

#include "benchmarks/jsonl.h"
#include "common/json.h"
#include "common/strings.h"

namespace hkv::jobs {

namespace {

constexpr const char* kLoogleTemplate =
    "Please answer the question based on the long texts below. \n{context}\nQuestion: "
    "{input}\nAnswer:";

std::vector<LongBenchTask> make_builtin_tasks() {
  return {
      {"narrativeqa",
       "You are given a story, which can be either a novel or a movie script, and a question. "
       "Answer the question asconcisely as you can, using a single phrase if possible. Do not "
       "provide any explanation.\n"
       "\n"
       "Story: {context}\n"
       "\n"
       "Now, answer the question based on the story asconcisely as you can, using a single phrase "
       "if possible. Do not provide any explanation.\n"
       "\n"
       "Question: {input}\n"
       "\n"
       "Answer:",
       128, true},
      {"qasper",
       "You are given a scientific article and a question. Answer the question as concisely as you "
       "can, using a single phrase or sentence if possible. If the question cannot be answered "
       "based on the information in the article, write \"unanswerable\". If the question is a "
       "yes/no question, answer \"yes\", \"no\", or \"unanswerable\". Do not provide any "
       "explanation.\n"
       "\n"
       "Article: {context}\n"
       "\n"
       " Answer the question based on the above article as concisely as you can, using a single "
       "phrase or sentence if possible. If the question cannot be answered based on the "
       "information in the article, write \"unanswerable\". If the question is a yes/no question, "
       "answer \"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n"
       "\n"
       "Question: {input}\n"
       "\n"
       "Answer:",
       128, true},
      {"multifieldqa_en",
       "Read the following text and answer briefly.\n"
       "\n"
       "{context}\n"
       "\n"
       "Now, answer the following question based on the above text, only give me the answer and do "
       "not output any other words.\n"
       "\n"
       "Question: {input}\n"
       "Answer:",
       64, true},
      {"multifieldqa_zh",
       "阅读以下文字并用中文简短回答：\n"
       "\n"
       "{context}\n"
       "\n"
       "现在请基于上面的文章回答下面的问题，只告诉我答案，不要输出任何其他字词。\n"
       "\n"
       "问题：{input}\n"
       "回答：",
       64, true},
      {"hotpotqa",
       "Answer the question based on the given passages. Only give me the answer and do not output "
       "any other words.\n"
       "\n"
       "The following are given passages.\n"
       "{context}\n"
       "\n"
       "Answer the question based on the given passages. Only give me the answer and do not output "
       "any other words.\n"
       "\n"
       "Question: {input}\n"
       "Answer:",
       32, true},
      {"2wikimqa",
       "Answer the question based on the given passages. Only give me the answer and do not output "
       "any other words.\n"
       "\n"
       "The following are given passages.\n"
       "{context}\n"
       "\n"
       "Answer the question based on the given passages. Only give me the answer and do not output "
       "any other words.\n"
       "\n"
       "Question: {input}\n"
       "Answer:",
       32, true},
      {"musique",
       "Answer the question based on the given passages. Only give me the answer and do not output "
       "any other words.\n"
       "\n"
       "The following are given passages.\n"
       "{context}\n"
       "\n"
       "Answer the question based on the given passages. Only give me the answer and do not output "
       "any other words.\n"
       "\n"
       "Question: {input}\n"
       "Answer:",
       32, true},
      {"dureader",
       "请基于给定的文章回答下述问题。\n"
       "\n"
       "文章：{context}\n"
       "\n"
       "请基于上述文章回答下面的问题。\n"
       "\n"
       "问题：{input}\n"
       "回答：",
       128, true},
      {"gov_report",
       "You are given a report by a government agency. Write a one-page summary of the report.\n"
       "\n"
       "Report:\n"
       "{context}\n"
       "\n"
       "Now, write a one-page summary of the report.\n"
       "\n"
       "Summary:",
       512, true},
      {"qmsum",
       "You are given a meeting transcript and a query containing a question or instruction. "
       "Answer the query in one or more sentences.\n"
       "\n"
       "Transcript:\n"
       "{context}\n"
       "\n"
       "Now, answer the query based on the above meeting transcript in one or more sentences.\n"
       "\n"
       "Query: {input}\n"
       "Answer:",
       512, true},
      {"multi_news",
       "You are given several news passages. Write a one-page summary of all news. \n"
       "\n"
       "News:\n"
       "{context}\n"
       "\n"
       "Now, write a one-page summary of all the news.\n"
       "\n"
       "Summary:",
       512, true},
      {"vcsum",
       "下面有一段会议记录，请你阅读后，写一段总结，总结会议的内容。\n"
       "会议记录：\n"
       "{context}\n"
       "\n"
       "会议总结：",
       512, true},
      {"trec",
       "Please determine the type of the question below. Here are some examples of questions.\n"
       "\n"
       "{context}\n"
       "{input}",
       64, false},
      {"triviaqa",
       "Answer the question based on the given passage. Only give me the answer and do not output "
       "any other words. The following are some examples.\n"
       "\n"
       "{context}\n"
       "\n"
       "{input}",
       32, false},
      {"samsum",
       "Summarize the dialogue into a few short sentences. The following are some examples.\n"
       "\n"
       "{context}\n"
       "\n"
       "{input}",
       128, false},
      {"lsht",
       "请判断给定新闻的类别，下面是一些例子。\n"
       "\n"
       "{context}\n"
       "{input}",
       64, false},
      {"passage_count",
       "There are some paragraphs below sourced from Wikipedia. Some of them may be duplicates. "
       "Please carefully read these paragraphs and determine how many unique paragraphs there are "
       "after removing duplicates. In other words, how many non-repeating paragraphs are there in "
       "total?\n"
       "\n"
       "{context}\n"
       "\n"
       "Please enter the final count of unique paragraphs after removing duplicates. The output "
       "format should only contain the number, such as 1, 2, 3, and so on.\n"
       "\n"
       "The final answer is: ",
       32, true},
      {"passage_retrieval_en",
       "Here are 30 paragraphs from Wikipedia, along with an abstract. Please determine which "
       "paragraph the abstract is from.\n"
       "\n"
       "{context}\n"
       "\n"
       "The following is an abstract.\n"
       "\n"
       "{input}\n"
       "\n"
       "Please enter the number of the paragraph that the abstract is from. The answer format must "
       "be like \"Paragraph 1\", \"Paragraph 2\", etc.\n"
       "\n"
       "The answer is: ",
       32, true},
      {"passage_retrieval_zh",
       "以下是若干段落文字，以及其中一个段落的摘要。请确定给定的摘要出自哪一段。\n"
       "\n"
       "{context}\n"
       "\n"
       "下面是一个摘要\n"
       "\n"
       "{input}\n"
       "\n"
       "请输入摘要所属段落的编号。答案格式必须是\"段落1\"，\"段落2\"等格式\n"
       "\n"
       "答案是：",
       32, true},
      {"lcc",
       "Please complete the code given below. \n"
       "{context}Next line of code:\n",
       64, false},
      {"repobench-p",
       "Please complete the code given below. \n"
       "{context}{input}Next line of code:\n",
       64, false},
      // LooGLE long-dependency QA in the LongBench schema (§6.1 rows 7-10).
      {"comprehension_and_reasoning", kLoogleTemplate, 64, true},
      {"multiple_information_retrieval", kLoogleTemplate, 64, true},
      {"timeline_reorder", kLoogleTemplate, 32, true},
      {"computation", kLoogleTemplate, 32, true},
  };
}

// Datasets that THUDM/LongBench pred.py leaves without a chat template.
bool official_chat_for(std::string_view name) {
  static const char* const kNoChat[] = {"trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p"};
  return std::none_of(std::begin(kNoChat), std::end(kNoChat),
                      [&](const char* n) { return name == n; });
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

Result<LongBenchRecord> parse_longbench_record(const Json& value, size_t line) {
  const JsonRef root(value, "$");
  LongBenchRecord r;
  r.line = line;
  HKV_ASSIGN_OR_RETURN(r.input, root.get<std::string>("input"));
  HKV_ASSIGN_OR_RETURN(r.context, root.get<std::string>("context"));
  HKV_ASSIGN_OR_RETURN(JsonRef answers, root.at("answers"));
  HKV_ASSIGN_OR_RETURN(r.answers, answers.as_vector<std::string>());
  HKV_ASSIGN_OR_RETURN(r.length, root.get<int64_t>("length"));
  HKV_ASSIGN_OR_RETURN(r.dataset, root.get<std::string>("dataset"));
  HKV_ASSIGN_OR_RETURN(r.language, root.get<std::string>("language"));
  HKV_ASSIGN_OR_RETURN(JsonRef all_classes, root.at("all_classes"));
  if (!all_classes.is_null()) {
    HKV_ASSIGN_OR_RETURN(r.all_classes, all_classes.as_vector<std::string>());
  }
  HKV_ASSIGN_OR_RETURN(r.id, root.get<std::string>("_id"));
  return r;
}

Json longbench_metadata(const LongBenchRecord& record) {
  Json meta = Json::object();
  meta["dataset"] = record.dataset;
  meta["_id"] = record.id;
  meta["length"] = record.length;
  meta["language"] = record.language;
  meta["all_classes"] = record.all_classes ? Json(*record.all_classes) : Json(nullptr);
  meta["input"] = record.input;
  meta["line"] = record.line;
  return meta;
}

}  // namespace

Result<std::vector<LongBenchRecord>> read_longbench_jsonl(const std::string& path,
                                                          size_t max_records) {
  HKV_ASSIGN_OR_RETURN(std::vector<JsonlRecord> lines, read_jsonl(path, max_records));
  std::vector<LongBenchRecord> records;
  records.reserve(lines.size());
  for (const JsonlRecord& line : lines) {
    Result<LongBenchRecord> record = parse_longbench_record(line.value, line.line);
    if (!record.ok()) {
      return jsonl_record_error(path, line.line, record.status());
    }
    records.push_back(std::move(record).value());
  }
  return records;
}

const std::vector<LongBenchTask>& longbench_builtin_tasks() {
  static const std::vector<LongBenchTask> kTasks = make_builtin_tasks();
  return kTasks;
}

const std::vector<std::string>& longbench_table_datasets() {
  static const std::vector<std::string> kNames = {"narrativeqa",
                                                  "qasper",
                                                  "multifieldqa_en",
                                                  "hotpotqa",
                                                  "2wikimqa",
                                                  "musique",
                                                  "comprehension_and_reasoning",
                                                  "multiple_information_retrieval",
                                                  "timeline_reorder",
                                                  "computation"};
  return kNames;
}

Result<LongBenchTask> find_longbench_task(std::string_view name) {
  std::string known;
  for (const LongBenchTask& task : longbench_builtin_tasks()) {
    if (task.name == name) {
      return task;
    }
    known += known.empty() ? task.name : ", " + task.name;
  }
  return errorf(StatusCode::kNotFound, "unknown LongBench dataset '%.*s'; known: %s",
                static_cast<int>(name.size()), name.data(), known.c_str());
}

Result<std::vector<LongBenchTask>> read_longbench_tasks(const std::string& config_dir) {
  const std::string prompt_path = config_dir + "/dataset2prompt.json";
  const std::string maxlen_path = config_dir + "/dataset2maxlen.json";
  HKV_ASSIGN_OR_RETURN(Json prompts, read_json_file(prompt_path));
  HKV_ASSIGN_OR_RETURN(Json maxlens, read_json_file(maxlen_path));
  if (!prompts.is_object() || !maxlens.is_object()) {
    return errorf(StatusCode::kInvalidArgument, "%s and %s must both hold a JSON object",
                  prompt_path.c_str(), maxlen_path.c_str());
  }
  const JsonRef prompt_root(prompts, "$");
  const JsonRef maxlen_root(maxlens, "$");
  std::vector<LongBenchTask> tasks;
  for (const auto& item : prompts.items()) {
    LongBenchTask task;
    task.name = item.key();
    Result<std::string> tmpl = prompt_root.get<std::string>(task.name);
    if (!tmpl.ok()) {
      return tmpl.status().with_context("%s", prompt_path.c_str());
    }
    task.prompt_template = std::move(tmpl).value();
    Result<int32_t> maxlen = maxlen_root.get<int32_t>(task.name);
    if (!maxlen.ok()) {
      return maxlen.status().with_context("%s", maxlen_path.c_str());
    }
    task.max_new_tokens = *maxlen;
    task.official_chat = official_chat_for(task.name);
    tasks.push_back(std::move(task));
  }
  if (maxlens.size() != prompts.size()) {
    return errorf(StatusCode::kInvalidArgument, "%s names %zu datasets but %s names %zu",
                  maxlen_path.c_str(), maxlens.size(), prompt_path.c_str(), prompts.size());
  }
  const std::vector<LongBenchTask>& builtin = longbench_builtin_tasks();
  tasks.insert(tasks.end(), builtin.end() - 4, builtin.end());  // LooGLE has no config file
  return tasks;
}

std::string longbench_jsonl_path(const std::string& longbench_dir, std::string_view dataset) {
  return longbench_dir + "/" + std::string(dataset) + ".jsonl";
}

Result<std::string> format_python_template(std::string_view tmpl,
                                           const std::vector<TemplateField>& fields) {
  std::string out;
  out.reserve(tmpl.size());
  size_t i = 0;
  while (i < tmpl.size()) {
    const char c = tmpl[i];
    if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      return errorf(StatusCode::kInvalidArgument,
                    "template: Single '}' encountered in format string (offset %zu)", i);
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    const size_t close = tmpl.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || tmpl[close] == '{') {
      return errorf(StatusCode::kInvalidArgument,
                    "template: expected '}' before %s (field at offset %zu)",
                    close == std::string_view::npos ? "end of string" : "a nested '{'", i);
    }
    const std::string_view name = tmpl.substr(i + 1, close - i - 1);
    const bool positional = name.empty() || std::all_of(name.begin(), name.end(), [](char d) {
                              return d >= '0' && d <= '9';
                            });
    if (positional || name.find_first_of("!:.[") != std::string_view::npos) {
      return errorf(StatusCode::kInvalidArgument,
                    "template: field '{%.*s}' is not supported (only {name} of a text field)",
                    static_cast<int>(name.size()), name.data());
    }
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const TemplateField& f) { return f.name == name; });
    if (it == fields.end()) {
      std::string known;
      for (const TemplateField& f : fields) {
        known += (known.empty() ? "" : ", ") + std::string(f.name);
      }
      return errorf(StatusCode::kNotFound, "template: no field '%.*s' (fields: %s)",
                    static_cast<int>(name.size()), name.data(), known.c_str());
    }
    out += it->value;
    i = close + 1;
  }
  return out;
}

Result<std::string> format_longbench_prompt(const LongBenchTask& task,
                                            const LongBenchRecord& record) {
  const std::string length = std::to_string(record.length);
  const std::vector<TemplateField> fields = {
      {"input", record.input},       {"context", record.context}, {"dataset", record.dataset},
      {"language", record.language}, {"_id", record.id},          {"length", length}};
  Result<std::string> prompt = format_python_template(task.prompt_template, fields);
  if (!prompt.ok()) {
    return prompt.status().with_context("LongBench '%s'", task.name.c_str());
  }
  return prompt;
}

const std::vector<MaxInputRule>& reference_max_input_rules() {
  static const std::vector<MaxInputRule> kRules = {
      {"llama2", 3950}, {"llama-2", 3950}, {"llama3", 7950}, {"llama-3", 7950}, {"mistral", 31500}};
  return kRules;
}

Result<int32_t> max_input_tokens_for_model(std::string_view model_path,
                                           const std::vector<MaxInputRule>& rules) {
  const std::string path = ascii_lower(model_path);
  std::optional<int32_t> found;
  std::string keys;
  for (const MaxInputRule& rule : rules) {
    if (path.find(rule.key) != std::string::npos) {
      found = rule.max_input_tokens;  // the last matching key wins
    }
    keys += (keys.empty() ? "" : ", ") + rule.key;
  }
  if (!found) {
    return errorf(
        StatusCode::kNotFound,
        "model path '%.*s' matches no max-input-length key (%s); set the limit explicitly",
        static_cast<int>(model_path.size()), model_path.data(), keys.c_str());
  }
  return *found;
}

bool reference_wraps_inst(std::string_view model_path) {
  return ascii_lower(model_path).find("llama2") != std::string::npos;
}

Result<TokenizedPrompt> tokenize_with_middle_truncation(const TextTokenizer& tokenizer,
                                                        std::string prompt,
                                                        const MiddleTruncation& truncation) {
  if (truncation.max_tokens < 2) {
    // half = 0 would make Python's ids[-0:] the whole prompt; no real limit is that small.
    return errorf(StatusCode::kInvalidArgument, "max input tokens must be >= 2, got %d",
                  truncation.max_tokens);
  }
  TokenizedPrompt out;
  out.ids = tokenizer.encode(prompt, truncation.add_special_tokens);
  if (out.ids.size() <= static_cast<size_t>(truncation.max_tokens)) {
    out.text = std::move(prompt);
    return out;
  }
  const size_t half = static_cast<size_t>(truncation.max_tokens / 2);
  const std::span<const int32_t> ids(out.ids);
  HKV_ASSIGN_OR_RETURN(std::string head,
                       tokenizer.decode(ids.first(half), truncation.skip_special_tokens));
  HKV_ASSIGN_OR_RETURN(std::string tail,
                       tokenizer.decode(ids.last(half), truncation.skip_special_tokens));
  out.text = std::move(head) + tail;
  out.ids = tokenizer.encode(out.text, truncation.add_special_tokens);
  out.truncated = true;
  return out;
}

Result<LongBenchOptions> longbench_reference_options(std::string_view model_path) {
  LongBenchOptions options;
  HKV_ASSIGN_OR_RETURN(options.max_input_tokens,
                       max_input_tokens_for_model(model_path, reference_max_input_rules()));
  options.chat = LongBenchChat::kReference;
  options.wrap_inst = reference_wraps_inst(model_path);
  return options;
}

Result<Sample> build_longbench_sample(const LongBenchTask& task,
                                      const LongBenchRecord& record,
                                      size_t index,
                                      const TextTokenizer& tokenizer,
                                      const LongBenchOptions& options) {
  HKV_ASSIGN_OR_RETURN(std::string prompt, format_longbench_prompt(task, record));
  const MiddleTruncation truncation{options.max_input_tokens, /*skip_special_tokens=*/true,
                                    /*add_special_tokens=*/true};
  if (options.chat == LongBenchChat::kReference && options.wrap_inst) {
    prompt = "[INST] " + prompt + " [/INST]";
  }
  HKV_ASSIGN_OR_RETURN(TokenizedPrompt tokenized,
                       tokenize_with_middle_truncation(tokenizer, std::move(prompt), truncation));
  if (options.chat == LongBenchChat::kOfficial && task.official_chat) {
    if (!options.render_chat) {
      return errorf(StatusCode::kInvalidArgument,
                    "LongBench '%s': official chat mode needs a chat renderer", task.name.c_str());
    }
    HKV_ASSIGN_OR_RETURN(tokenized.text, options.render_chat(tokenized.text));
    tokenized.ids = tokenizer.encode(tokenized.text, /*add_special_tokens=*/false);
  }
  Sample sample;
  sample.id = task.name + "/" + std::to_string(index);
  sample.prompt = std::move(tokenized.text);
  sample.prompt_ids = std::move(tokenized.ids);
  sample.truncated = tokenized.truncated;
  sample.references = record.answers;
  sample.max_new_tokens = task.max_new_tokens;
  sample.min_new_tokens = 1;
  if (std::optional<int32_t> eos = tokenizer.eos_id()) {
    sample.stop_ids.push_back(*eos);
  }
  sample.metadata = longbench_metadata(record);
  return sample;
}

Result<LongBenchDataset> LongBenchDataset::open(const std::string& jsonl_path,
                                                LongBenchTask task,
                                                std::shared_ptr<const TextTokenizer> tokenizer,
                                                LongBenchOptions options,
                                                size_t max_samples) {
  if (tokenizer == nullptr) {
    return errorf(StatusCode::kInvalidArgument, "LongBench '%s': no tokenizer", task.name.c_str());
  }
  if (options.max_input_tokens < 2) {
    return errorf(StatusCode::kInvalidArgument,
                  "LongBench '%s': max_input_tokens must be >= 2, got %d", task.name.c_str(),
                  options.max_input_tokens);
  }
  if (options.chat == LongBenchChat::kOfficial && task.official_chat && !options.render_chat) {
    return errorf(StatusCode::kInvalidArgument,
                  "LongBench '%s': official chat mode needs a chat renderer", task.name.c_str());
  }
  LongBenchDataset dataset;
  HKV_ASSIGN_OR_RETURN(dataset.records_, read_longbench_jsonl(jsonl_path, max_samples));
  dataset.task_ = std::move(task);
  dataset.tokenizer_ = std::move(tokenizer);
  dataset.options_ = std::move(options);
  return dataset;
}

Result<Sample> LongBenchDataset::sample(size_t index) const {
  if (index >= records_.size()) {
    return errorf(StatusCode::kOutOfRange, "LongBench '%s': sample %zu of %zu", task_.name.c_str(),
                  index, records_.size());
  }
  Result<Sample> sample =
      build_longbench_sample(task_, records_[index], index, *tokenizer_, options_);
  if (!sample.ok()) {
    return sample.status().with_context("line %zu", records_[index].line);
  }
  return sample;
}

}  // namespace hkv::jobs
