// LongBench's text-overlap metrics: normalize_answer + token F1 (qa_f1_score), ROUGE-L
// (rouge_score) and their Chinese variants over a WordSegmenter. All string work is on code
// points with Python str semantics.
#include <unordered_map>

#include "metrics/metrics.h"
#include "metrics/py_unicode.h"
#include "metrics/rouge.h"

namespace hkv::jobs {
namespace {

bool is_ascii_punctuation(char32_t c) {  // string.punctuation
  return (c >= U'!' && c <= U'/') || (c >= U':' && c <= U'@') || (c >= U'[' && c <= U'`') ||
         (c >= U'{' && c <= U'~');
}

// LongBench's cn_punctuation (normalize_zh_answer), in its order. Note that it has "》" but not
// "《".
constexpr std::u32string_view kChinesePunctuation =
    U"\uff01\uff1f\uff61\u3002\uff02\uff03\uff04\uff05\uff06\uff07\uff08\uff09\uff0a\uff0b"
    U"\uff0c\uff0d\uff0f\uff1a\uff1b\uff1c\uff1d\uff1e\uff20\uff3b\uff3c\uff3d\uff3e\uff3f"
    U"\uff40\uff5b\uff5c\uff5d\uff5e\uff5f\uff60\uff62\uff63\uff64\u3001\u3003\u300b\u300c"
    U"\u300d\u300e\u300f\u3010\u3011\u3014\u3015\u3016\u3017\u3018\u3019\u301a\u301b\u301c"
    U"\u301d\u301e\u301f\u3030\u303e\u303f\u2013\u2014\u2018\u2019\u201b\u201c\u201d\u201e"
    U"\u201f\u2026\u2027\ufe4f.";

// re.sub(r"\b(a|an|the)\b", " ", text): alternatives tried in order at each position, a match
// needs a word boundary on both sides, and scanning resumes after the match.
std::u32string remove_articles(std::u32string_view text) {
  auto is_word_at = [&](size_t i) { return i < text.size() && py_isword(text[i]); };
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t match_len = 0;
    if (i == 0 || !py_isword(text[i - 1])) {  // text[i] is a letter below, so this is \b
      for (std::u32string_view article : {U"a", U"an", U"the"}) {
        if (text.substr(i, article.size()) == article && !is_word_at(i + article.size())) {
          match_len = article.size();
          break;
        }
      }
    }
    if (match_len > 0) {
      out.push_back(U' ');
      i += match_len;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

std::vector<std::string> split_to_utf8(std::u32string_view text) {
  std::vector<std::string> out;
  for (std::u32string_view piece : py_split(text)) {
    out.push_back(utf8_encode(piece));
  }
  return out;
}

std::vector<std::string> normalized_tokens(std::string_view s) {
  std::u32string lowered = py_lower(utf8_decode(s));
  std::erase_if(lowered, is_ascii_punctuation);
  return split_to_utf8(remove_articles(lowered));
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += words[i];
  }
  return out;
}

}  // namespace

std::string normalize_answer(std::string_view s) {
  return join(normalized_tokens(s), " ");
}

double token_f1(std::span<const std::string> prediction,
                std::span<const std::string> ground_truth) {
  std::unordered_map<std::string_view, int64_t> remaining;
  for (const std::string& token : ground_truth) {
    ++remaining[token];
  }
  int64_t num_same = 0;  // sum of (Counter(prediction) & Counter(ground_truth)).values()
  for (const std::string& token : prediction) {
    auto it = remaining.find(token);
    if (it != remaining.end() && it->second > 0) {
      --it->second;
      ++num_same;
    }
  }
  if (num_same == 0) {
    return 0.0;
  }
  double precision = 1.0 * static_cast<double>(num_same) / static_cast<double>(prediction.size());
  double recall = 1.0 * static_cast<double>(num_same) / static_cast<double>(ground_truth.size());
  return (2 * precision * recall) / (precision + recall);
}

double qa_f1_score(std::string_view prediction, std::string_view ground_truth) {
  return token_f1(normalized_tokens(prediction), normalized_tokens(ground_truth));
}

double rouge_score(std::string_view prediction, std::string_view ground_truth) {
  return pltrdy_rouge_l_f(prediction, ground_truth).value_or(0.0);
}

std::string normalize_zh_answer(std::string_view s) {
  std::u32string text = py_lower(utf8_decode(s));
  std::erase_if(text, [](char32_t c) {
    return is_ascii_punctuation(c) || kChinesePunctuation.find(c) != std::u32string_view::npos ||
           py_isspace(c);
  });
  return utf8_encode(text);
}

Result<double> qa_f1_zh_score(std::string_view prediction,
                              std::string_view ground_truth,
                              const WordSegmenter& segmenter) {
  HKV_ASSIGN_OR_RETURN(std::vector<std::string> pred_words, segmenter.cut(prediction));
  HKV_ASSIGN_OR_RETURN(std::vector<std::string> gt_words, segmenter.cut(ground_truth));
  auto normalize_all = [](const std::vector<std::string>& words) {
    std::vector<std::string> out;
    for (const std::string& word : words) {
      std::string token = normalize_zh_answer(word);
      if (!token.empty()) {
        out.push_back(std::move(token));
      }
    }
    return out;
  };
  return token_f1(normalize_all(pred_words), normalize_all(gt_words));
}

Result<double> rouge_zh_score(std::string_view prediction,
                              std::string_view ground_truth,
                              const WordSegmenter& segmenter) {
  HKV_ASSIGN_OR_RETURN(std::vector<std::string> pred_words, segmenter.cut(prediction));
  HKV_ASSIGN_OR_RETURN(std::vector<std::string> gt_words, segmenter.cut(ground_truth));
  return pltrdy_rouge_l_f(join(pred_words, " "), join(gt_words, " "),
                          kPltrdyRougeMaxReadoutSteps - 1)
      .value_or(0.0);
}

}  // namespace hkv::jobs
