// Needle-in-a-haystack construction (§7). Token arithmetic follows the reference's
// insert_needle line by line; Python slicing and float depth arithmetic are reproduced exactly.
#include "benchmarks/needle.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <span>
#include <utility>

#include "common/mapped_file.h"

namespace hkv::jobs {

namespace {

// Python text-mode reading: "\r\n" and a lone "\r" both become "\n".
std::string universal_newlines(std::string text) {
  if (text.find('\r') == std::string::npos) {
    return text;
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else {
      out += text[i];
    }
  }
  return out;
}

// np.rint: round half to even, independent of the floating-point environment.
double round_half_even(double x) {
  const double f = std::floor(x);
  const double diff = x - f;
  if (diff > 0.5) {
    return f + 1.0;
  }
  if (diff < 0.5) {
    return f;
  }
  return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

Result<int32_t> to_int32(double value, const char* what) {
  if (!(value >= std::numeric_limits<int32_t>::min() &&
        value <= std::numeric_limits<int32_t>::max())) {
    return errorf(StatusCode::kOutOfRange, "%s %g does not fit int32", what, value);
  }
  return static_cast<int32_t>(value);
}

const char* bos_mode_name(NeedleBosMode mode) {
  return mode == NeedleBosMode::kReference ? "reference" : "no_stray_bos";
}

}  // namespace

Result<std::vector<int32_t>> numpy_arange(int64_t start, int64_t stop, int64_t step) {
  if (step == 0) {
    return errorf(StatusCode::kInvalidArgument, "arange step must not be 0");
  }
  std::vector<int32_t> out;
  for (int64_t v = start; step > 0 ? v < stop : v > stop; v += step) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return errorf(StatusCode::kOutOfRange, "arange value %lld does not fit int32",
                    static_cast<long long>(v));
    }
    out.push_back(static_cast<int32_t>(v));
  }
  return out;
}

Result<std::vector<int32_t>> needle_context_lengths(int64_t min, int64_t max, int64_t interval) {
  if (interval <= 0) {
    return errorf(StatusCode::kInvalidArgument, "context length interval must be > 0, got %lld",
                  static_cast<long long>(interval));
  }
  return numpy_arange(min, max + 1, interval);
}

Result<std::vector<int32_t>> needle_depth_percents(double min, double max, int32_t num) {
  if (num < 0) {
    return errorf(StatusCode::kInvalidArgument, "number of depths must be >= 0, got %d", num);
  }
  std::vector<int32_t> out;
  const int32_t div = num - 1;
  const double step = div > 0 ? (max - min) / div : 0.0;
  for (int32_t i = 0; i < num; ++i) {
    double y = (div > 0 ? static_cast<double>(i) * step : 0.0) + min;
    if (num > 1 && i == num - 1) {
      y = max;  // linspace's endpoint is exact
    }
    HKV_ASSIGN_OR_RETURN(int32_t depth, to_int32(round_half_even(y), "depth"));
    out.push_back(depth);
  }
  return out;
}

Result<std::vector<int32_t>> reference_period_ids(std::string_view provider) {
  if (provider == "LLaMA3") {
    return std::vector<int32_t>{13};
  }
  if (provider == "Mistral") {
    return std::vector<int32_t>{842, 28723};
  }
  return errorf(StatusCode::kNotFound,
                "no reference period tokens for provider '%.*s' (known: LLaMA3, Mistral); use "
                "derive_period_ids",
                static_cast<int>(provider.size()), provider.data());
}

Result<std::vector<int32_t>> derive_period_ids(const TextTokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (std::string_view text : {std::string_view("."), std::string_view("a.")}) {
    const std::vector<int32_t> encoded = tokenizer.encode(text, /*add_special_tokens=*/false);
    if (encoded.empty()) {
      return errorf(StatusCode::kInvalidArgument, "tokenizer encodes '%.*s' to no ids",
                    static_cast<int>(text.size()), text.data());
    }
    if (std::find(ids.begin(), ids.end(), encoded.back()) == ids.end()) {
      ids.push_back(encoded.back());
    }
  }
  return ids;
}

Result<int32_t> newline_stop_id(const TextTokenizer& tokenizer) {
  const std::vector<int32_t> ids = tokenizer.encode("\n", /*add_special_tokens=*/false);
  if (ids.empty()) {
    return errorf(StatusCode::kInvalidArgument, "tokenizer encodes \"\\n\" to no ids");
  }
  return ids.back();
}

Result<std::string> read_haystack_pass(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return errorf(StatusCode::kNotFound, "haystack directory '%s': %s", dir.c_str(),
                  ec.message().c_str());
  }
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      return errorf(StatusCode::kUnavailable, "listing haystack directory '%s': %s", dir.c_str(),
                    ec.message().c_str());
    }
    const std::string name = it->path().filename().string();
    if (name.size() > 4 && name.front() != '.' && name.ends_with(".txt") &&
        it->is_regular_file(ec)) {
      names.push_back(name);
    }
  }
  if (names.empty()) {
    return errorf(StatusCode::kNotFound, "haystack directory '%s' has no .txt files", dir.c_str());
  }
  std::sort(names.begin(), names.end());  // byte order of UTF-8 = Python's code point order
  std::string text;
  for (const std::string& name : names) {
    HKV_ASSIGN_OR_RETURN(std::string content, read_file_to_string(dir + "/" + name));
    text += universal_newlines(std::move(content));
  }
  return text;
}

Result<Haystack> build_haystack(const std::string& dir,
                                const TextTokenizer& tokenizer,
                                int64_t min_tokens,
                                NeedleBosMode bos_mode) {
  HKV_ASSIGN_OR_RETURN(std::string pass, read_haystack_pass(dir));
  const bool special = bos_mode == NeedleBosMode::kReference;
  Haystack haystack;
  haystack.bos_mode = bos_mode;
  haystack.ids = tokenizer.encode(haystack.text, special);
  while (static_cast<int64_t>(haystack.ids.size()) < min_tokens) {
    const size_t before = haystack.ids.size();
    haystack.text += pass;
    haystack.ids = tokenizer.encode(haystack.text, special);
    if (haystack.ids.size() <= before) {
      return errorf(StatusCode::kFailedPrecondition,
                    "haystack '%s' adds no tokens per pass; cannot reach %lld tokens", dir.c_str(),
                    static_cast<long long>(min_tokens));
    }
  }
  return haystack;
}

namespace {

// §7.2 step 4: insert at int(len * (d / 100)) (Python float arithmetic), backed off to just after
// a period token; d == 100 appends.
std::vector<int32_t> insert_needle_tokens(const std::vector<int32_t>& tokens,
                                          const std::vector<int32_t>& needle_ids,
                                          int32_t depth_percent,
                                          const std::vector<int32_t>& period_ids) {
  size_t point = tokens.size();
  if (depth_percent != 100) {
    point = static_cast<size_t>(static_cast<double>(tokens.size()) *
                                (static_cast<double>(depth_percent) / 100.0));
    while (point > 0 &&
           std::find(period_ids.begin(), period_ids.end(), tokens[point - 1]) == period_ids.end()) {
      --point;
    }
  }
  std::vector<int32_t> combined;
  combined.reserve(tokens.size() + needle_ids.size());
  combined.assign(tokens.begin(), tokens.begin() + static_cast<ptrdiff_t>(point));
  combined.insert(combined.end(), needle_ids.begin(), needle_ids.end());
  combined.insert(combined.end(), tokens.begin() + static_cast<ptrdiff_t>(point), tokens.end());
  return combined;
}

// §7.2 steps 1-5: the haystack cut to Lc tokens with the needle inserted, as text.
Result<std::string> needle_context(const Haystack& haystack,
                                   int32_t context_length,
                                   int32_t depth_percent,
                                   const TextTokenizer& tokenizer,
                                   const NeedleOptions& options) {
  const bool special = options.bos_mode == NeedleBosMode::kReference;
  // Step 1: cut the haystack to Lc tokens (decode keeps special-token text).
  std::string truncated;
  const std::string* context = &haystack.text;
  if (context_length >= 0 && haystack.ids.size() > static_cast<size_t>(context_length)) {
    const auto head =
        std::span<const int32_t>(haystack.ids).first(static_cast<size_t>(context_length));
    HKV_ASSIGN_OR_RETURN(truncated, tokenizer.decode(head, /*skip_special_tokens=*/false));
    context = &truncated;
  }
  // Steps 2-3: re-encode, and leave the buffer for the question and the answer.
  const std::vector<int32_t> needle_ids = tokenizer.encode(options.needle, special);
  std::vector<int32_t> tokens = tokenizer.encode(*context, special);
  const int64_t budget = static_cast<int64_t>(context_length) - options.buffer_tokens;
  const auto needle_len = static_cast<int64_t>(needle_ids.size());
  if (static_cast<int64_t>(tokens.size()) + needle_len > budget) {
    const int64_t keep = budget - needle_len;
    if (keep < 0) {
      // Python would slice from the end here (tc[:negative]); no meaningful test has this.
      return errorf(StatusCode::kInvalidArgument,
                    "context length %d leaves no room for the %lld-token needle after the "
                    "%d-token buffer",
                    context_length, static_cast<long long>(needle_len), options.buffer_tokens);
    }
    tokens.resize(static_cast<size_t>(keep));
  }
  // Steps 4-5.
  const std::vector<int32_t> combined =
      insert_needle_tokens(tokens, needle_ids, depth_percent, options.period_ids);
  return tokenizer.decode(combined, /*skip_special_tokens=*/false);
}

}  // namespace

Result<Sample> build_needle_sample(const Haystack& haystack,
                                   int32_t context_length,
                                   int32_t depth_percent,
                                   const TextTokenizer& tokenizer,
                                   const NeedleOptions& options) {
  if (haystack.bos_mode != options.bos_mode) {
    return errorf(StatusCode::kFailedPrecondition,
                  "haystack was built for bos mode %s but the options ask for %s",
                  bos_mode_name(haystack.bos_mode), bos_mode_name(options.bos_mode));
  }
  if (depth_percent < 0 || depth_percent > 100) {
    return errorf(StatusCode::kInvalidArgument, "depth percent must be in [0, 100], got %d",
                  depth_percent);
  }
  HKV_ASSIGN_OR_RETURN(std::string context,
                       needle_context(haystack, context_length, depth_percent, tokenizer, options));
  // Steps 6-7: no chat template; special-token text in the context becomes special tokens.
  Sample sample;
  sample.prompt = "<|im_start|> This is a very long story book: <book> " + context +
                  " </book>.\n Based on the content of the book, Question: " + options.question +
                  "\nAnswer:";
  sample.prompt_ids = tokenizer.encode(sample.prompt, /*add_special_tokens=*/true);
  sample.id = "needle/" + std::to_string(context_length) + "/" + std::to_string(depth_percent);
  sample.references = {options.needle};
  sample.max_new_tokens = kNeedleMaxNewTokens;
  sample.min_new_tokens = 0;
  if (std::optional<int32_t> eos = tokenizer.eos_id()) {
    sample.stop_ids.push_back(*eos);
  }
  HKV_ASSIGN_OR_RETURN(int32_t newline, newline_stop_id(tokenizer));
  sample.stop_ids.push_back(newline);
  sample.metadata["context_length"] = context_length;
  sample.metadata["depth_percent"] = depth_percent;
  sample.metadata["needle"] = options.needle;
  sample.metadata["question"] = options.question;
  sample.metadata["bos_mode"] = bos_mode_name(options.bos_mode);
  return sample;
}

Result<NeedleDataset> NeedleDataset::create(std::shared_ptr<const Haystack> haystack,
                                            std::vector<int32_t> context_lengths,
                                            std::vector<int32_t> depth_percents,
                                            std::shared_ptr<const TextTokenizer> tokenizer,
                                            NeedleOptions options) {
  if (haystack == nullptr || tokenizer == nullptr) {
    return errorf(StatusCode::kInvalidArgument, "needle dataset needs a haystack and a tokenizer");
  }
  if (haystack->bos_mode != options.bos_mode) {
    return errorf(StatusCode::kFailedPrecondition,
                  "haystack was built for bos mode %s but the options ask for %s",
                  bos_mode_name(haystack->bos_mode), bos_mode_name(options.bos_mode));
  }
  if (options.period_ids.empty()) {
    return errorf(StatusCode::kInvalidArgument,
                  "needle options have no period token ids (reference_period_ids or "
                  "derive_period_ids)");
  }
  NeedleDataset dataset;
  dataset.haystack_ = std::move(haystack);
  dataset.context_lengths_ = std::move(context_lengths);
  dataset.depth_percents_ = std::move(depth_percents);
  dataset.tokenizer_ = std::move(tokenizer);
  dataset.options_ = std::move(options);
  return dataset;
}

Result<Sample> NeedleDataset::sample(size_t index) const {
  if (index >= size()) {
    return errorf(StatusCode::kOutOfRange, "needle: sample %zu of %zu", index, size());
  }
  const int32_t length = context_lengths_[index / depth_percents_.size()];
  const int32_t depth = depth_percents_[index % depth_percents_.size()];
  Result<Sample> sample = build_needle_sample(*haystack_, length, depth, *tokenizer_, options_);
  if (!sample.ok()) {
    return sample.status().with_context("needle length %d depth %d", length, depth);
  }
  return sample;
}

}  // namespace hkv::jobs
