// BABILong reason-in-a-haystack prompts (ALGORITHMS.md §8): the qa1-qa5 instruction / examples /
// post_prompt strings of HeadKV's reason_needle/prompts.py, the template with Python .strip()
// semantics, chat rendering through the injected renderer, middle truncation without skipping
// special tokens, and the split list chosen by the model's input limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/dataset.h"
#include "benchmarks/text_tokenizer.h"
#include "common/status.h"

namespace hkv::jobs {

// One row of <babilong_dir>/<split>/<task>.jsonl.
struct BabilongRecord {
  std::string input;  // the haystack with the facts
  std::string question;
  std::string target;
  size_t line = 0;  // 1-based line in the file
};

struct BabilongTaskPrompt {
  std::string_view instruction;
  std::string_view examples;
  std::string_view post_prompt;
};

inline constexpr int32_t kBabilongMaxNewTokens = 15;

// "qa1".."qa5", the order the reference evaluates them in.
const std::vector<std::string>& babilong_tasks();
// The exact strings of §8 (typographic ’ in qa1/qa2, "question.You" in qa2); NotFound otherwise.
Result<BabilongTaskPrompt> babilong_task_prompt(std::string_view task);

// 0k 1k 2k 4k 8k when max_input_tokens < 10000 (Llama-3, M = 7950), else also 16k and 32k.
std::vector<std::string> babilong_splits(int32_t max_input_tokens);
// The split's position in 0k,1k,2k,4k,8k,16k,32k (the "split {i}: {name}" label); NotFound for
// any other name.
Result<int32_t> babilong_split_index(std::string_view split);

// <babilong_dir>/<split>/<task>.jsonl (the data layout: data/babilong/0k/qa1.jsonl).
std::string babilong_jsonl_path(const std::string& babilong_dir,
                                std::string_view split,
                                std::string_view task);
// The first `max_records` rows; "input", "question", "target" are required strings.
Result<std::vector<BabilongRecord>> read_babilong_jsonl(const std::string& path,
                                                        size_t max_records = kAllSamples);

// The user message before chat rendering: DEFAULT_TEMPLATE.format(instruction, examples,
// post_prompt, context = input.strip(), question).strip().
Result<std::string> format_babilong_text(std::string_view task, const BabilongRecord& record);

struct BabilongOptions {
  int32_t max_input_tokens = 0;  // M; truncation when the rendered prompt is longer
  ChatRenderFn render_chat;      // required: the reference always applies the chat template
};

// One sample: render_chat(text), encode without special tokens, middle truncation (decode keeps
// special-token text, re-encode without special tokens). references = {target},
// max_new_tokens 15, min_new_tokens 1, stop_ids [eos], metadata {dataset, setting
// ("split {i}: {name}"), input (= question), line}. The id is "<task>/<split>/<index>".
Result<Sample> build_babilong_sample(std::string_view task,
                                     std::string_view split,
                                     const BabilongRecord& record,
                                     size_t index,
                                     const TextTokenizer& tokenizer,
                                     const BabilongOptions& options);

// The first `max_samples` rows of one task x split, built lazily.
class BabilongDataset final : public Dataset {
 public:
  static Result<BabilongDataset> open(const std::string& babilong_dir,
                                      std::string task,
                                      std::string split,
                                      std::shared_ptr<const TextTokenizer> tokenizer,
                                      BabilongOptions options,
                                      size_t max_samples = kAllSamples);

  std::string name() const override { return task_ + "/" + split_; }

  size_t size() const override { return records_.size(); }

  Result<Sample> sample(size_t index) const override;

 private:
  BabilongDataset() = default;

  std::string task_;
  std::string split_;
  std::shared_ptr<const TextTokenizer> tokenizer_;
  BabilongOptions options_;
  std::vector<BabilongRecord> records_;
};

}  // namespace hkv::jobs
