// Needle-in-a-haystack tests as ALGORITHMS.md §7.1-§7.2 builds them: the (context length x depth)
// grids with numpy's arange / round(linspace) semantics, the haystack read in sorted file-name
// order (our documented deviation from glob order), and the token-level needle insertion with
// the period-token backoff. Deterministic: no randomness anywhere.
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

inline constexpr std::string_view kNeedleText =
    "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny "
    "day.\n";
inline constexpr std::string_view kNeedleQuestion = "The best thing to do in San Francisco is: ";
inline constexpr int32_t kNeedleBufferTokens = 200;  // final_context_length_buffer
inline constexpr int32_t kNeedleMaxNewTokens = 30;

// np.arange(start, stop, step) over integers (step may be negative, not 0).
Result<std::vector<int32_t>> numpy_arange(int64_t start, int64_t stop, int64_t step);
// The reference CLI's (min, max, interval) grid: np.arange(min, max + 1, interval). Llama-3's
// needle_llama3.sh passes 1000 8001 1000 (1000..8000); Mistral 1000 33000 100 (321 values).
Result<std::vector<int32_t>> needle_context_lengths(int64_t min, int64_t max, int64_t interval);
// np.round(np.linspace(min, max, num)).astype(int): linspace's i * ((max - min) / (num - 1)) +
// min with the last value exactly max, rounded half to even. (0, 100, 10) gives 0 11 22 33 44 56
// 67 78 89 100.
Result<std::vector<int32_t>> needle_depth_percents(double min, double max, int32_t num);

// Where the begin-of-text token may appear in the needle context.
enum class NeedleBosMode {
  // §7.2 verbatim: every encode adds BOS, the truncated haystack is decoded with its BOS as text
  // (so the context starts with two BOS), and the needle carries its own BOS into the context.
  kReference,
  // ALGORITHMS.md project decision 3 ("no stray begin-of-text token is injected into the
  // context"): steps 1-2 encode without special tokens, so the context holds no BOS and the
  // prompt has exactly one, from the final encode. Every other step is unchanged.
  kNoStrayBos,
};

struct NeedleOptions {
  // The insertion point backs off until the token before it is one of these. The reference
  // hard-codes them per provider (reference_period_ids); derive_period_ids computes them for any
  // tokenizer.
  std::vector<int32_t> period_ids;
  NeedleBosMode bos_mode = NeedleBosMode::kNoStrayBos;
  std::string needle = std::string(kNeedleText);
  std::string question = std::string(kNeedleQuestion);
  int32_t buffer_tokens = kNeedleBufferTokens;
};

// The reference's lists by provider tag: "LLaMA3" -> {13}, "Mistral" -> {842, 28723}.
Result<std::vector<int32_t>> reference_period_ids(std::string_view provider);
// For other tokenizers: the last id of encode(".") and of encode("a.") (no special tokens),
// deduplicated in that order. A SentencePiece tokenizer spells a sentence-initial period "▁."
// and one after a word "."; byte-level BPE spells both ".". This reproduces both reference lists
// ({13} for Llama-3, {842, 28723} for Mistral). InvalidArgument if encode gives no ids.
Result<std::vector<int32_t>> derive_period_ids(const TextTokenizer& tokenizer);
// The needle's extra stop id: encode("\n", add_special_tokens=false).back() (Llama-3 198,
// Mistral 13).
Result<int32_t> newline_stop_id(const TextTokenizer& tokenizer);

// One pass over the haystack: every "*.txt" directly in `dir` (regular files, names not starting
// with '.', as Python's glob), sorted by file name, concatenated with no separator. Newlines are
// translated as Python's text mode does ("\r\n" and "\r" become "\n").
Result<std::string> read_haystack_pass(const std::string& dir);

struct Haystack {
  std::string text;
  std::vector<int32_t> ids;  // encode(text, add_special_tokens = bos_mode == kReference)
  NeedleBosMode bos_mode = NeedleBosMode::kNoStrayBos;
};

// §7.1: whole passes are appended while the text has fewer than `min_tokens` tokens (the largest
// context length of the grid); one pass of the 49 Paul Graham essays is ~150k Llama-3 tokens.
// The token ids are computed once here so that each test does not re-encode 650 KB of text.
Result<Haystack> build_haystack(const std::string& dir,
                                const TextTokenizer& tokenizer,
                                int64_t min_tokens,
                                NeedleBosMode bos_mode);

// §7.2 for one (context_length Lc, depth_percent d) cell; `haystack` must have been built with
// options.bos_mode. The prompt is
//   "<|im_start|> This is a very long story book: <book> " + context +
//   " </book>.\n Based on the content of the book, Question: " + question + "\nAnswer:"
// with no chat template, encoded with BOS. references = {needle}, max_new_tokens 30,
// min_new_tokens 0, stop_ids [eos, newline_stop_id], metadata {context_length, depth_percent,
// needle, question, bos_mode}. The id is "needle/<Lc>/<d>". InvalidArgument when Lc leaves no
// room for the needle after the 200-token buffer, or d is outside [0, 100].
Result<Sample> build_needle_sample(const Haystack& haystack,
                                   int32_t context_length,
                                   int32_t depth_percent,
                                   const TextTokenizer& tokenizer,
                                   const NeedleOptions& options);

// The grid in the reference's loop order: context lengths outer, depths inner.
class NeedleDataset final : public Dataset {
 public:
  static Result<NeedleDataset> create(std::shared_ptr<const Haystack> haystack,
                                      std::vector<int32_t> context_lengths,
                                      std::vector<int32_t> depth_percents,
                                      std::shared_ptr<const TextTokenizer> tokenizer,
                                      NeedleOptions options);

  std::string name() const override { return "needle"; }

  size_t size() const override { return context_lengths_.size() * depth_percents_.size(); }

  Result<Sample> sample(size_t index) const override;

 private:
  NeedleDataset() = default;

  std::shared_ptr<const Haystack> haystack_;
  std::vector<int32_t> context_lengths_;
  std::vector<int32_t> depth_percents_;
  std::shared_ptr<const TextTokenizer> tokenizer_;
  NeedleOptions options_;
};

}  // namespace hkv::jobs
