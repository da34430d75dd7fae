// LongBench/LooGLE prompt construction (§6.1-§6.2): the JSONL loader, Python str.format
// substitution, the input limit, chat rules and middle truncation. The task table is in
// longbench_tasks.cc.
#include "benchmarks/longbench.h"

#include <algorithm>
#include <map>
#include <utility>

#include "benchmarks/jsonl.h"
#include "common/json.h"
#include "common/strings.h"

namespace hkv::jobs {

namespace {

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
