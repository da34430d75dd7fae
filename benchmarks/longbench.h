// LongBench (v1) and LooGLE prompts as ALGORITHMS.md §6.1-§6.2 specify them: the JSONL loader for
// the official schema, the per-dataset templates and generation lengths, Python str.format
// substitution, the model-path rule for the input limit M, chat rules and token middle truncation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/dataset.h"
#include "benchmarks/text_tokenizer.h"
#include "common/status.h"

namespace hkv::jobs {

// One line of an official LongBench .jsonl (LooGLE files are converted to the same schema).
struct LongBenchRecord {
  std::string input;
  std::string context;
  std::vector<std::string> answers;
  int64_t length = 0;
  std::string dataset;
  std::string language;
  std::optional<std::vector<std::string>> all_classes;  // null except in classification sets
  std::string id;                                       // "_id"
  size_t line = 0;                                      // 1-based line in the file
};

// Reads the first `max_records` records of `path`. Every field above is required and typed
// (all_classes may be null); errors read "<path>:<line>: $.<field>: expected ..., got ...".
Result<std::vector<LongBenchRecord>> read_longbench_jsonl(const std::string& path,
                                                          size_t max_records = kAllSamples);

struct LongBenchTask {
  std::string name;             // file stem: "qasper", "comprehension_and_reasoning"
  std::string prompt_template;  // Python str.format template over the record's fields
  int32_t max_new_tokens = 0;
  // THUDM/LongBench pred.py applies the chat template to this dataset (all but trec, triviaqa,
  // samsum, lsht, lcc and repobench-p). Used only by LongBenchChat::kOfficial.
  bool official_chat = true;
};

// The 21 LongBench v1 datasets in the order of config/dataset2prompt.json (templates and
// max_new_tokens identical to THUDM/LongBench config/, commit 2e00731; a test compares them with
// the files), then the 4 LooGLE tasks of §6.1.
const std::vector<LongBenchTask>& longbench_builtin_tasks();
// The 10 datasets of the published table, in its column order (§6.1).
const std::vector<std::string>& longbench_table_datasets();
// A builtin task by name; NotFound listing the known names.
Result<LongBenchTask> find_longbench_task(std::string_view name);
// Reads dataset2prompt.json and dataset2maxlen.json from `config_dir` (they must name the same
// datasets), sorted by name, then appends the 4 LooGLE tasks, which have no config file.
Result<std::vector<LongBenchTask>> read_longbench_tasks(const std::string& config_dir);

// <longbench_dir>/<dataset>.jsonl (the data layout, data/longbench/, and the reference's
// data/LongBench/).
std::string longbench_jsonl_path(const std::string& longbench_dir, std::string_view dataset);

// Python `template.format(**fields)` restricted to what the templates need: "{name}" is replaced
// by the field's text once (braces inside substituted text are never interpreted), "{{" and "}}"
// are literal braces. A single '}', an unclosed '{', positional "{}", and attribute, index,
// conversion or format-spec fields are InvalidArgument; an unknown name is NotFound (KeyError).
struct TemplateField {
  std::string_view name;
  std::string_view value;
};

Result<std::string> format_python_template(std::string_view tmpl,
                                           const std::vector<TemplateField>& fields);

// The task's template filled from `record` (fields input, context, dataset, language, _id and
// length as decimal text).
Result<std::string> format_longbench_prompt(const LongBenchTask& task,
                                            const LongBenchRecord& record);

// M by model: the lower-cased model path is matched against the keys in order and the LAST key
// contained in it wins.
struct MaxInputRule {
  std::string key;
  int32_t max_input_tokens = 0;
};

// llama2 3950, llama-2 3950, llama3 7950, llama-3 7950, mistral 31500 (§6.2).
const std::vector<MaxInputRule>& reference_max_input_rules();
// NotFound when no key matches (the reference has no fallback).
Result<int32_t> max_input_tokens_for_model(std::string_view model_path,
                                           const std::vector<MaxInputRule>& rules);
// The reference's llama2 rule: true iff the lower-cased path contains "llama2".
bool reference_wraps_inst(std::string_view model_path);

// §6.2 middle truncation: ids = encode(prompt, add_special_tokens); if ids.size() > max_tokens,
// half = max_tokens / 2 and the prompt becomes decode(ids[:half], skip) + decode(ids[-half:],
// skip), re-encoded with add_special_tokens. LongBench uses skip=true, add=true; BABILong (§8)
// skip=false, add=false.
struct MiddleTruncation {
  int32_t max_tokens = 0;  // M >= 2
  bool skip_special_tokens = true;
  bool add_special_tokens = true;
};

struct TokenizedPrompt {
  std::string text;
  std::vector<int32_t> ids;
  bool truncated = false;
};

Result<TokenizedPrompt> tokenize_with_middle_truncation(const TextTokenizer& tokenizer,
                                                        std::string prompt,
                                                        const MiddleTruncation& truncation);

enum class LongBenchChat {
  // HeadKV run_longbench.py: "[INST] " + prompt + " [/INST]" when `wrap_inst` (the model path
  // contains "llama2"), applied before tokenisation and truncation; otherwise the raw prompt.
  // Llama-3 and Mistral get no chat template.
  kReference,
  // THUDM/LongBench pred.py: truncate the raw prompt first, then render it with `render_chat`
  // unless the task's official_chat is false; the rendered text is tokenised without special
  // tokens (the template supplies BOS) and is not truncated again.
  kOfficial,
  // The raw prompt for every model.
  kNone,
};

struct LongBenchOptions {
  int32_t max_input_tokens = 0;  // M
  LongBenchChat chat = LongBenchChat::kReference;
  bool wrap_inst = false;    // kReference only; see reference_wraps_inst
  ChatRenderFn render_chat;  // kOfficial only
};

// The reference's options for a model path: M by reference_max_input_rules, kReference chat with
// the llama2 rule.
Result<LongBenchOptions> longbench_reference_options(std::string_view model_path);

// One sample: prompt, ids (BOS included), references = answers, max_new_tokens of the task,
// min_new_tokens 1, stop_ids [eos], metadata {dataset, _id, length, language, all_classes, input,
// line}. The id is "<task>/<index>".
Result<Sample> build_longbench_sample(const LongBenchTask& task,
                                      const LongBenchRecord& record,
                                      size_t index,
                                      const TextTokenizer& tokenizer,
                                      const LongBenchOptions& options);

// The first `max_samples` records of one dataset file, built lazily.
class LongBenchDataset final : public Dataset {
 public:
  static Result<LongBenchDataset> open(const std::string& jsonl_path,
                                       LongBenchTask task,
                                       std::shared_ptr<const TextTokenizer> tokenizer,
                                       LongBenchOptions options,
                                       size_t max_samples = kAllSamples);

  std::string name() const override { return task_.name; }

  size_t size() const override { return records_.size(); }

  Result<Sample> sample(size_t index) const override;

 private:
  LongBenchDataset() = default;

  LongBenchTask task_;
  std::shared_ptr<const TextTokenizer> tokenizer_;
  LongBenchOptions options_;
  std::vector<LongBenchRecord> records_;
};

}  // namespace hkv::jobs
