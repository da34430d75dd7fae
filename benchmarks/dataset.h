// One benchmark sample as the worker consumes it (prompt text and ids, references, generation
// limits, metadata) and the Dataset interface every loader implements. Loaders are pure and
// deterministic: sample(i) depends only on the files, the options and the tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace hkv::jobs {

// "All samples" for the max_samples limits of the loaders.
inline constexpr size_t kAllSamples = std::numeric_limits<size_t>::max();

struct Sample {
  // Unique and stable within its dataset: "<task>/<index>" (LongBench, e.g. "qasper/3"),
  // "<task>/<split>/<index>" (BABILong, "qa2/4k/17"), "needle/<length>/<depth>" ("needle/2000/50").
  std::string id;
  // The text whose tokens are `prompt_ids`, after chat rendering and middle truncation.
  std::string prompt;
  // What the model is fed, BOS included; L = prompt_ids.size().
  std::vector<int32_t> prompt_ids;
  bool truncated = false;  // middle truncation (§6.2 / §8) shortened the prompt
  // Ground truths for the metric: LongBench "answers", BABILong "target", the needle itself.
  std::vector<std::string> references;
  int32_t max_new_tokens = 0;
  // HF min_length = L + min_new_tokens: EOS is suppressed until this many tokens exist. The
  // reference uses min_length = L + 1 for LongBench and BABILong and none for the needle.
  int32_t min_new_tokens = 0;
  // Generation stops on any of these (HF eos_token_id list): the tokenizer's EOS when known, then
  // task-specific ids (needle: the id of "\n").
  std::vector<int32_t> stop_ids;
  // Task fields the reference writes next to "pred" (dataset, _id, length, setting, ...).
  Json metadata = Json::object();
};

// A benchmark task (one dataset, or one BABILong task x split, or one needle grid) in its stable
// order.
class Dataset {
 public:
  virtual ~Dataset() = default;

  // "qasper", "qa1/2k", "needle".
  virtual std::string name() const = 0;
  virtual size_t size() const = 0;
  // Builds sample `index` < size(); OutOfRange otherwise. Tokenises, so it may be slow for long
  // prompts (one encode of up to ~32k tokens, a second one when truncating).
  virtual Result<Sample> sample(size_t index) const = 0;
};

// Every sample of `dataset` in order; the first error is returned with the sample index.
inline Result<std::vector<Sample>> build_all_samples(const Dataset& dataset) {
  std::vector<Sample> samples;
  samples.reserve(dataset.size());
  for (size_t i = 0; i < dataset.size(); ++i) {
    Result<Sample> sample = dataset.sample(i);
    if (!sample.ok()) {
      return sample.status().with_context("%s sample %zu", dataset.name().c_str(), i);
    }
    samples.push_back(std::move(sample).value());
  }
  return samples;
}

}  // namespace hkv::jobs
