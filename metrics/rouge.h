// The two ROUGE implementations the reference scripts call, which differ in every detail:
//  * pltrdy's PyPI `rouge` 1.0.1 (LongBench's rouge_score): ROUGE-L "summary level" over
//    sentences split on ".", with set semantics and no case folding;
//  * Google's `rouge-score` 0.1.2 (needle runner, head detection): ROUGE-1 over lower-cased
//    [a-z0-9] tokens, Porter-stemmed when longer than 3 characters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hkv::jobs {

// Python's default recursion limit (1000) minus the frames above the first `_recon` call when
// LongBench's eval.py scores with rouge_score: <module>, scorer, rouge_score, Rouge.get_scores,
// _get_avg_scores, the metric lambda, rouge_l_summary_level, _union_lcs, _recon_lcs. `_recon`
// recurses once per step of the LCS read-out plus a final call, so a read-out longer than this
// many steps raises RecursionError, which rouge_score's bare `except` turns into 0.0.
// tools/reference/make_metric_goldens.py measures it under that exact call stack.
inline constexpr int kPltrdyRougeMaxReadoutSteps = 990;

// Rouge().get_scores([hypothesis], [reference], avg=True)["rouge-l"]["f"], or nullopt where
// the package raises: no non-empty "."-separated segment on either side, or a read-out longer
// than `max_readout_steps` (the RecursionError above; each extra Python frame between eval.py
// and rouge_score, as rouge_zh_score adds, lowers it by one).
std::optional<double> pltrdy_rouge_l_f(std::string_view hypothesis,
                                       std::string_view reference,
                                       int max_readout_steps = kPltrdyRougeMaxReadoutSteps);

// rouge-score's tokenize(text, PorterStemmer()): lower(), runs outside [a-z0-9] become
// separators, tokens longer than 3 characters are Porter-stemmed.
std::vector<std::string> rouge_score_tokenize(std::string_view text);

struct RougeScore {
  double precision = 0.0;
  double recall = 0.0;
  double fmeasure = 0.0;
};

// RougeScorer(["rouge1"], use_stemmer=True).score(target, prediction)["rouge1"]: clipped unigram
// overlap, precision over the prediction's tokens, recall over the target's (each denominator at
// least 1), F = 2PR/(P+R) or 0.
RougeScore google_rouge1(std::string_view target, std::string_view prediction);

}  // namespace hkv::jobs
