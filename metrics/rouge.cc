// Ports of pltrdy `rouge` 1.0.1 (rouge/rouge.py, rouge/rouge_score.py) ROUGE-L summary level and
// Google `rouge-score` 0.1.2 ROUGE-1. Words are interned to ints; set semantics, tie-breaking of
// the LCS read-out and the order of floating-point operations follow the Python.
#include "metrics/rouge.h"

#include <algorithm>
#include <span>
#include <unordered_map>

#include "metrics/porter_stemmer.h"
#include "metrics/py_unicode.h"

namespace hkv::jobs {
namespace {

using Sentence = std::vector<int>;  // interned words

class WordIds {
 public:
  int intern(const std::string& word) {
    auto [it, inserted] = ids_.try_emplace(word, static_cast<int>(ids_.size()));
    return it->second;
  }

  size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, int> ids_;
};

// Rouge._get_scores' sentence split: text.split("."), empty pieces dropped, each piece
// " ".join(piece.split()), then _split_into_words' piece.split(" "). A whitespace-only piece
// survives as the one-word sentence [""].
std::vector<Sentence> pltrdy_sentences(std::string_view text, WordIds& ids) {
  std::vector<Sentence> sentences;
  size_t start = 0;
  while (start <= text.size()) {
    size_t dot = std::min(text.find('.', start), text.size());
    std::string_view piece = text.substr(start, dot - start);
    start = dot + 1;
    if (piece.empty()) {
      continue;
    }
    Sentence words;
    for (const std::string& word : py_split(piece)) {
      words.push_back(ids.intern(word));
    }
    if (words.empty()) {
      words.push_back(ids.intern(""));
    }
    sentences.push_back(std::move(words));
  }
  return sentences;
}

// LCS lengths of prefixes, LCS(x[:i], y[:j]), filled with the longer sequence as the outer loop
// and only its last `window` prefixes kept: a read-out of at most `window - 2` steps never looks
// further back, and the inner dimension is then at most that long too.
class LcsTable {
 public:
  LcsTable(const Sentence& x, const Sentence& y, size_t window)
      : x_outer_(x.size() >= y.size()),
        inner_len_((x_outer_ ? y.size() : x.size()) + 1),
        window_(std::min(window, (x_outer_ ? x.size() : y.size()) + 1)),
        cells_(window_ * inner_len_, 0) {
    const Sentence& outer = x_outer_ ? x : y;
    const Sentence& inner = x_outer_ ? y : x;
    for (size_t o = 1; o <= outer.size(); ++o) {
      int* row = &cells_[(o % window_) * inner_len_];
      const int* prev = &cells_[((o - 1) % window_) * inner_len_];
      row[0] = 0;
      for (size_t k = 1; k < inner_len_; ++k) {
        row[k] = outer[o - 1] == inner[k - 1] ? prev[k - 1] + 1 : std::max(prev[k], row[k - 1]);
      }
    }
  }

  int at(size_t i, size_t j) const {
    size_t o = x_outer_ ? i : j;
    size_t k = x_outer_ ? j : i;
    return cells_[(o % window_) * inner_len_ + k];
  }

 private:
  bool x_outer_;
  size_t inner_len_;
  size_t window_;
  std::vector<int> cells_;
};

// _recon_lcs(x, y): walks back from (len(x), len(y)), taking matches, else the larger of
// table[i-1, j] and table[i, j-1] (ties go to j-1), adding each matched word to `lcs_words`.
// Returns false where Python's recursive _recon would exceed `max_steps`.
bool recon_lcs(const Sentence& x, const Sentence& y, int max_steps, std::vector<bool>& lcs_words) {
  size_t max_steps_u = static_cast<size_t>(std::max(max_steps, 0));
  if (std::min(x.size(), y.size()) > max_steps_u) {
    return false;  // the walk needs at least min(len(x), len(y)) steps
  }
  LcsTable table(x, y, max_steps_u + 2);
  size_t i = x.size();
  size_t j = y.size();
  for (size_t steps = 0; i > 0 && j > 0; ++steps) {
    if (steps == max_steps_u) {
      return false;
    }
    if (x[i - 1] == y[j - 1]) {
      lcs_words[x[i - 1]] = true;
      --i;
      --j;
    } else if (table.at(i - 1, j) > table.at(i, j - 1)) {
      --i;
    } else {
      --j;
    }
  }
  return true;
}

size_t count_unique(const std::vector<Sentence>& sentences, size_t num_ids) {
  std::vector<bool> seen(num_ids, false);
  size_t count = 0;
  for (const Sentence& s : sentences) {
    for (int w : s) {
      count += seen[w] ? 0 : 1;
      seen[w] = true;
    }
  }
  return count;
}

}  // namespace

std::optional<double> pltrdy_rouge_l_f(std::string_view hypothesis,
                                       std::string_view reference,
                                       int max_readout_steps) {
  WordIds ids;
  std::vector<Sentence> hyp = pltrdy_sentences(hypothesis, ids);
  std::vector<Sentence> ref = pltrdy_sentences(reference, ids);
  if (hyp.empty() || ref.empty()) {
    return std::nullopt;  // rouge_n raises "Hypothesis is empty." / "Reference is empty."
  }
  // rouge_l_summary_level with exclusive=True: m and n count distinct words, and the union LCS
  // is a set of words carried across reference sentences, so its final size is the hit count.
  size_t m = count_unique(ref, ids.size());
  size_t n = count_unique(hyp, ids.size());
  std::vector<bool> lcs_union(ids.size(), false);
  for (const Sentence& r : ref) {
    for (const Sentence& h : hyp) {
      if (!recon_lcs(r, h, max_readout_steps, lcs_union)) {
        return std::nullopt;
      }
    }
  }
  auto llcs = static_cast<double>(std::count(lcs_union.begin(), lcs_union.end(), true));
  double r_lcs = llcs / static_cast<double>(m);
  double p_lcs = llcs / static_cast<double>(n);
  return 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8));
}

std::vector<std::string> rouge_score_tokenize(std::string_view text) {
  std::u32string lowered = py_lower(utf8_decode(text));
  std::vector<std::string> tokens;
  std::string token;
  auto flush = [&] {
    if (!token.empty()) {
      tokens.push_back(token.size() > 3 ? porter_stem(token) : token);
      token.clear();
    }
  };
  for (char32_t c : lowered) {
    if ((c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9')) {
      token.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  // The final VALID_TOKEN_RE filter only drops empty tokens here: stems stay in [a-z0-9]+.
  std::erase_if(tokens, [](const std::string& t) { return t.empty(); });
  return tokens;
}

RougeScore google_rouge1(std::string_view target, std::string_view prediction) {
  std::unordered_map<std::string, int64_t> target_counts;
  std::unordered_map<std::string, int64_t> prediction_counts;
  std::vector<std::string> target_tokens = rouge_score_tokenize(target);
  std::vector<std::string> prediction_tokens = rouge_score_tokenize(prediction);
  for (const std::string& t : target_tokens) {
    ++target_counts[t];
  }
  for (const std::string& t : prediction_tokens) {
    ++prediction_counts[t];
  }
  int64_t overlap = 0;
  for (const auto& [token, count] : target_counts) {
    auto it = prediction_counts.find(token);
    overlap += it == prediction_counts.end() ? 0 : std::min(count, it->second);
  }
  RougeScore score;
  auto overlap_d = static_cast<double>(overlap);
  score.precision = overlap_d / static_cast<double>(std::max<size_t>(prediction_tokens.size(), 1));
  score.recall = overlap_d / static_cast<double>(std::max<size_t>(target_tokens.size(), 1));
  if (score.precision + score.recall > 0) {
    score.fmeasure = 2 * score.precision * score.recall / (score.precision + score.recall);
  }
  return score;
}

}  // namespace hkv::jobs
