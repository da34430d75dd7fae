// BABILong prompt construction (§8). The per-task strings are verbatim from ALGORITHMS.md §8,
// typos and typographic quotes included; babilong_test pins them by hash.
#include "jobs/babilong.h"

#include <algorithm>
#include <utility>

#include "common/json.h"
#include "jobs/jsonl.h"
#include "jobs/longbench.h"

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

// Decodes one UTF-8 sequence at `pos`; returns its length, or 0 when it is invalid.
size_t decode_utf8(std::string_view s, size_t pos, char32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  size_t len = 0;
  char32_t value = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, value = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, value = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, value = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (pos + len > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[pos + k]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  *cp = value;
  return len;
}

// Python str.isspace() (Unicode White_Space plus the bidi separators U+001C..001F).
bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

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

std::string_view python_str_strip(std::string_view text) {
  size_t begin = 0;
  char32_t cp = 0;
  while (begin < text.size()) {
    const size_t len = decode_utf8(text, begin, &cp);
    if (len == 0 || !is_python_space(cp)) {
      break;
    }
    begin += len;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;  // back to the lead byte (at most 3 continuation bytes)
    while (start > begin && end - start < 4 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) {
      --start;
    }
    if (decode_utf8(text, start, &cp) != end - start || !is_python_space(cp)) {
      break;
    }
    end = start;
  }
  return text.substr(begin, end - begin);
}

Result<std::string> format_babilong_text(std::string_view task, const BabilongRecord& record) {
  HKV_ASSIGN_OR_RETURN(BabilongTaskPrompt prompt, babilong_task_prompt(task));
  const std::vector<TemplateField> fields = {{"instruction", prompt.instruction},
                                             {"examples", prompt.examples},
                                             {"post_prompt", prompt.post_prompt},
                                             {"context", python_str_strip(record.input)},
                                             {"question", record.question}};
  HKV_ASSIGN_OR_RETURN(std::string text, format_python_template(kTemplate, fields));
  return std::string(python_str_strip(text));
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
