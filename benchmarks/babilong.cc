// BABILong prompt construction (§8). The per-task strings are verbatim from ALGORITHMS.md §8,
// typos and typographic quotes included; babilong_test pins them by hash.
#include "benchmarks/babilong.h"

#include <algorithm>
#include <utility>

#include "benchmarks/jsonl.h"
#include "benchmarks/longbench.h"
#include "common/json.h"
#include "common/utf8.h"

namespace hkv::jobs {

namespace {

struct NamedTaskPrompt {
  std::string_view task;
  BabilongTaskPrompt prompt;
};

// reason_needle/prompts.py DEFAULT_PROMPTS (qa1-qa5).
constexpr NamedTaskPrompt kTaskPrompts[] = {
    {"qa1",
     {"I will give you context with the facts about positions of different persons hidden in some "
      "random text and a question. You need to answer the question based only on the information "
      "from the facts. If a person was in different locations, use the latest location to answer "
      "the question.",
      "<example>\n"
      "Charlie went to the hallway. Judith come back to the kitchen. Charlie travelled to balcony. "
      "Where is Charlie?\n"
      "Answer: The most recent location of Charlie is balcony.\n"
      "</example>\n"
      "\n"
      "<example>\n"
      "Alan moved to the garage. Charlie went to the beach. Alan went to the shop. Rouse travelled "
      "to balcony. Where is Alan?\n"
      "Answer: The most recent location of Alan is shop.\n"
      "</example>",
      "Always return your answer in the following format: The most recent location of ’person’ is "
      "’location’. Do not write anything else after that."}},
    {"qa2",
     {"I give you context with the facts about locations and actions of different persons hidden "
      "in some random text and a question.You need to answer the question based only on the "
      "information from the facts.\n"
      "If a person got an item in the first location and travelled to the second location the item "
      "is also in the second location. If a person dropped an item in the first location and moved "
      "to the second location the item remains in the first location.",
      "<example>\n"
      "Charlie went to the kitchen. Charlie got a bottle. Charlie moved to the balcony. Where is "
      "the bottle?\n"
      "Answer: The bottle is in the balcony.\n"
      "</example>\n"
      "<example>\n"
      "Alan moved to the garage. Alan got a screw driver. Alan moved to the kitchen. Where is the "
      "screw driver?\n"
      "Answer: The screw driver is in the kitchen.\n"
      "</example>",
      "Always return your answer in the following format: The ’item’ is in ’location’. Do not "
      "write anything else after that."}},
    {"qa3",
     {"I give you context with the facts about locations and actions of different persons hidden "
      "in some random text and a question. You need to answer the question based only on the "
      "information from the facts.\n"
      "If a person got an item in the first location and travelled to the second location the item "
      "is also in the second location. If a person dropped an item in the first location and moved "
      "to the second location the item remains in the first location.",
      "<example>\n"
      "John journeyed to the bedroom. Mary grabbed the apple. Mary went back to the bathroom. "
      "Daniel journeyed to the bedroom. Daniel moved to the garden. Mary travelled to the kitchen. "
      "Where was the apple before the kitchen?\n"
      "Answer: Before the kitchen the apple was in the bathroom.\n"
      "</example>\n"
      "<example>\n"
      "John went back to the bedroom. John went back to the garden. John went back to the kitchen. "
      "Sandra took the football. Sandra travelled to the garden. Sandra journeyed to the bedroom. "
      "Where was the football before the bedroom?\n"
      "Answer: Before the bedroom the football was in the garden.\n"
      "</example>",
      "Always return your answer in the following format: Before the $location_1$ the $item$ was "
      "in the $location_2$. Do not write anything else after that."}},
    {"qa4",
     {"I will give you context with the facts about different people, their location and actions, "
      "hidden in some random text and a question. You need to answer the question based only on "
      "the information from the facts.",
      "<example>\n"
      "The hallway is south of the kitchen. The bedroom is north of the kitchen. What is the "
      "kitchen south of?\n"
      "Answer: bedroom\n"
      "</example>\n"
      "<example>\n"
      "The garden is west of the bedroom. The bedroom is west of the kitchen. What is west of the "
      "bedroom?\n"
      "Answer: garden\n"
      "</example>",
      "Your answer should contain only one word - location. Do not write anything else after "
      "that."}},
    {"qa5",
     {"I will give you context with the facts about locations and their relations hidden in some "
      "random text and a question. You need to answer the question based only on the information "
      "from the facts.",
      "<example>\n"
      "Mary picked up the apple there. Mary gave the apple to Fred. Mary moved to the bedroom. "
      "Bill took the milk there. Who did Mary give the apple to?\n"
      "Answer: Fred\n"
      "</example>\n"
      "<example>\n"
      "Jeff took the football there. Jeff passed the football to Fred. Jeff got the milk there. "
      "Bill travelled to the bedroom. Who gave the football?\n"
      "Answer: Jeff\n"
      "</example>\n"
      "<example>\n"
      "Fred picked up the apple there. Fred handed the apple to Bill. Bill journeyed to the "
      "bedroom. Jeff went back to the garden. What did Fred give to Bill?\n"
      "Answer: apple\n"
      "</example>",
      "Your answer should contain only one word. Do not write anything else after that. Do not "
      "explain your answer."}},
};

constexpr std::string_view kTemplate =
    "{instruction}\n\n{examples}\n\n{post_prompt}\n\n<context>\n{context}\n</context>\n\n"
    "Question: {question}";

// Every length the reference knows, in its order; the split index is the position here.
constexpr std::string_view kAllSplits[] = {"0k", "1k", "2k", "4k", "8k", "16k", "32k"};

Result<BabilongRecord> parse_babilong_record(const Json& value, size_t line) {
  const JsonRef root(value, "$");
  BabilongRecord r;
  r.line = line;
  HKV_ASSIGN_OR_RETURN(r.input, root.get<std::string>("input"));
  HKV_ASSIGN_OR_RETURN(r.question, root.get<std::string>("question"));
  HKV_ASSIGN_OR_RETURN(r.target, root.get<std::string>("target"));
  return r;
}

}  // namespace

const std::vector<std::string>& babilong_tasks() {
  static const std::vector<std::string> kTasks = {"qa1", "qa2", "qa3", "qa4", "qa5"};
  return kTasks;
}

Result<BabilongTaskPrompt> babilong_task_prompt(std::string_view task) {
  for (const NamedTaskPrompt& entry : kTaskPrompts) {
    if (entry.task == task) {
      return entry.prompt;
    }
  }
  return errorf(StatusCode::kNotFound,
                "unknown BABILong task '%.*s'; known: qa1, qa2, qa3, qa4, qa5",
                static_cast<int>(task.size()), task.data());
}

std::vector<std::string> babilong_splits(int32_t max_input_tokens) {
  const size_t count = max_input_tokens < 10000 ? 5 : 7;
  return std::vector<std::string>(std::begin(kAllSplits), std::begin(kAllSplits) + count);
}

Result<int32_t> babilong_split_index(std::string_view split) {
  for (size_t i = 0; i < std::size(kAllSplits); ++i) {
    if (kAllSplits[i] == split) {
      return static_cast<int32_t>(i);
    }
  }
  return errorf(StatusCode::kNotFound,
                "unknown BABILong split '%.*s'; known: 0k 1k 2k 4k 8k 16k 32k",
                static_cast<int>(split.size()), split.data());
}

std::string babilong_jsonl_path(const std::string& babilong_dir,
                                std::string_view split,
                                std::string_view task) {
  return babilong_dir + "/" + std::string(split) + "/" + std::string(task) + ".jsonl";
}

Result<std::vector<BabilongRecord>> read_babilong_jsonl(const std::string& path,
                                                        size_t max_records) {
  HKV_ASSIGN_OR_RETURN(std::vector<JsonlRecord> lines, read_jsonl(path, max_records));
  std::vector<BabilongRecord> records;
  records.reserve(lines.size());
  for (const JsonlRecord& line : lines) {
    Result<BabilongRecord> record = parse_babilong_record(line.value, line.line);
    if (!record.ok()) {
      return jsonl_record_error(path, line.line, record.status());
    }
    records.push_back(std::move(record).value());
  }
  return records;
}

Result<std::string> format_babilong_text(std::string_view task, const BabilongRecord& record) {
  HKV_ASSIGN_OR_RETURN(BabilongTaskPrompt prompt, babilong_task_prompt(task));
  const std::vector<TemplateField> fields = {{"instruction", prompt.instruction},
                                             {"examples", prompt.examples},
                                             {"post_prompt", prompt.post_prompt},
                                             {"context", python_strip(record.input)},
                                             {"question", record.question}};
  HKV_ASSIGN_OR_RETURN(std::string text, format_python_template(kTemplate, fields));
  return std::string(python_strip(text));
}

Result<Sample> build_babilong_sample(std::string_view task,
                                     std::string_view split,
                                     const BabilongRecord& record,
                                     size_t index,
                                     const TextTokenizer& tokenizer,
                                     const BabilongOptions& options) {
  if (!options.render_chat) {
    return errorf(StatusCode::kInvalidArgument, "BABILong needs a chat renderer");
  }
  HKV_ASSIGN_OR_RETURN(int32_t split_index, babilong_split_index(split));
  HKV_ASSIGN_OR_RETURN(std::string text, format_babilong_text(task, record));
  HKV_ASSIGN_OR_RETURN(std::string rendered, options.render_chat(text));
  const MiddleTruncation truncation{options.max_input_tokens, /*skip_special_tokens=*/false,
                                    /*add_special_tokens=*/false};
  HKV_ASSIGN_OR_RETURN(TokenizedPrompt tokenized,
                       tokenize_with_middle_truncation(tokenizer, std::move(rendered), truncation));
  Sample sample;
  sample.id = std::string(task) + "/" + std::string(split) + "/" + std::to_string(index);
  sample.prompt = std::move(tokenized.text);
  sample.prompt_ids = std::move(tokenized.ids);
  sample.truncated = tokenized.truncated;
  sample.references = {record.target};
  sample.max_new_tokens = kBabilongMaxNewTokens;
  sample.min_new_tokens = 1;
  if (std::optional<int32_t> eos = tokenizer.eos_id()) {
    sample.stop_ids.push_back(*eos);
  }
  sample.metadata["dataset"] = std::string(task);
  sample.metadata["setting"] = "split " + std::to_string(split_index) + ": " + std::string(split);
  sample.metadata["input"] = record.question;
  sample.metadata["line"] = record.line;
  return sample;
}

Result<BabilongDataset> BabilongDataset::open(const std::string& babilong_dir,
                                              std::string task,
                                              std::string split,
                                              std::shared_ptr<const TextTokenizer> tokenizer,
                                              BabilongOptions options,
                                              size_t max_samples) {
  HKV_RETURN_IF_ERROR(babilong_task_prompt(task));
  HKV_RETURN_IF_ERROR(babilong_split_index(split));
  if (tokenizer == nullptr || !options.render_chat) {
    return errorf(StatusCode::kInvalidArgument,
                  "BABILong %s/%s: needs a tokenizer and a chat renderer", task.c_str(),
                  split.c_str());
  }
  if (options.max_input_tokens < 2) {
    return errorf(StatusCode::kInvalidArgument,
                  "BABILong %s/%s: max_input_tokens must be >= 2, got %d", task.c_str(),
                  split.c_str(), options.max_input_tokens);
  }
  BabilongDataset dataset;
  HKV_ASSIGN_OR_RETURN(
      dataset.records_,
      read_babilong_jsonl(babilong_jsonl_path(babilong_dir, split, task), max_samples));
  dataset.task_ = std::move(task);
  dataset.split_ = std::move(split);
  dataset.tokenizer_ = std::move(tokenizer);
  dataset.options_ = std::move(options);
  return dataset;
}

Result<Sample> BabilongDataset::sample(size_t index) const {
  if (index >= records_.size()) {
    return errorf(StatusCode::kOutOfRange, "BABILong %s/%s: sample %zu of %zu", task_.c_str(),
                  split_.c_str(), index, records_.size());
  }
  Result<Sample> sample =
      build_babilong_sample(task_, split_, records_[index], index, *tokenizer_, options_);
  if (!sample.ok()) {
    return sample.status().with_context("BABILong %s/%s line %zu", task_.c_str(), split_.c_str(),
                                        records_[index].line);
  }
  return sample;
}

}  // namespace hkv::jobs
