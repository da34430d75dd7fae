// The LongBench/LooGLE task table (§6.1): per-dataset templates and generation lengths, a verbatim
// copy of THUDM/LongBench config/ (checked against the files by longbench_test) plus LooGLE, and
// the reader of those config files.
#include <algorithm>
#include <utility>

#include "benchmarks/longbench.h"
#include "common/json.h"

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
}  // namespace

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

}  // namespace hkv::jobs
