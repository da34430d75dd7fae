// Port of nltk.stem.porter.PorterStemmer (mode NLTK_EXTENSIONS). Step names, rule order and the
// "first matching suffix decides, even when its condition fails" behaviour of _apply_rule_list
// follow the Python exactly; the comments name the paper's rules.
#include "metrics/porter_stemmer.h"

#include <functional>
#include <initializer_list>
#include <utility>

namespace hkv::jobs {
namespace {

using Condition = std::function<bool(std::string_view stem)>;

struct Rule {
  std::string_view suffix;  // "*d" means "ends with a double consonant" (condition *d)
  std::string replacement;
  Condition condition;  // empty: unconditional
};

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

// A consonant is not a vowel, and "y" is one only when the letter before it is not.
bool is_consonant(std::string_view word, size_t i) {
  if (is_vowel(word[i])) {
    return false;
  }
  if (word[i] != 'y') {
    return true;
  }
  bool negate = false;
  while (i > 0 && word[i] == 'y') {
    negate = !negate;
    --i;
  }
  return !is_vowel(word[i]) != negate;
}

// m in [C](VC){m}[V]: the number of vowel-to-consonant transitions.
int measure(std::string_view stem) {
  int m = 0;
  bool previous_consonant = true;
  for (size_t i = 0; i < stem.size(); ++i) {
    // _consonant_flags: "y" is a consonant at the start or after a vowel.
    bool consonant = !is_vowel(stem[i]) && (stem[i] != 'y' || i == 0 || !previous_consonant);
    if (consonant && i > 0 && !previous_consonant) {
      ++m;
    }
    previous_consonant = consonant;
  }
  return m;
}

bool positive_measure(std::string_view stem) {
  return measure(stem) > 0;
}

bool contains_vowel(std::string_view stem) {
  for (size_t i = 0; i < stem.size(); ++i) {
    if (!is_consonant(stem, i)) {
      return true;
    }
  }
  return false;
}

bool ends_double_consonant(std::string_view word) {
  size_t n = word.size();
  return n >= 2 && word[n - 1] == word[n - 2] && is_consonant(word, n - 1);
}

// *o: ends consonant-vowel-consonant, the last not w, x or y; NLTK also accepts a two-letter
// vowel-consonant word.
bool ends_cvc(std::string_view word) {
  size_t n = word.size();
  if (n >= 3 && is_consonant(word, n - 3) && !is_consonant(word, n - 2) &&
      is_consonant(word, n - 1) && word[n - 1] != 'w' && word[n - 1] != 'x' && word[n - 1] != 'y') {
    return true;
  }
  return n == 2 && !is_consonant(word, 0) && is_consonant(word, 1);
}

bool ends_with(std::string_view word, std::string_view suffix) {
  return word.size() >= suffix.size() && word.substr(word.size() - suffix.size()) == suffix;
}

std::string replace_suffix(std::string_view word, size_t suffix_len, std::string_view repl) {
  std::string out(word.substr(0, word.size() - suffix_len));
  out += repl;
  return out;
}

std::string apply_rule_list(const std::string& word, std::initializer_list<Rule> rules) {
  for (const Rule& rule : rules) {
    if (rule.suffix == "*d" && ends_double_consonant(word)) {
      std::string_view stem = std::string_view(word).substr(0, word.size() - 2);
      if (!rule.condition || rule.condition(stem)) {
        return std::string(stem) + rule.replacement;
      }
      return word;
    }
    if (ends_with(word, rule.suffix)) {
      std::string_view stem = std::string_view(word).substr(0, word.size() - rule.suffix.size());
      if (!rule.condition || rule.condition(stem)) {
        return std::string(stem) + rule.replacement;
      }
      return word;
    }
  }
  return word;
}

std::string step1a(const std::string& word) {
  if (ends_with(word, "ies") && word.size() == 4) {
    return replace_suffix(word, 3, "ie");  // NLTK: "dies" -> "die", "flies" -> "fli"
  }
  return apply_rule_list(word,
                         {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string step1b(const std::string& word) {
  if (ends_with(word, "ied")) {  // NLTK: "died" -> "die", "spied" -> "spi"
    return replace_suffix(word, 3, word.size() == 4 ? "ie" : "i");
  }
  if (ends_with(word, "eed")) {  // (m>0) EED -> EE
    std::string_view stem = std::string_view(word).substr(0, word.size() - 3);
    return measure(stem) > 0 ? std::string(stem) + "ee" : word;
  }
  std::string stem;  // (*v*) ED -> , (*v*) ING ->
  bool removed = false;
  for (std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
    if (ends_with(word, suffix)) {
      stem = word.substr(0, word.size() - suffix.size());
      if (contains_vowel(stem)) {
        removed = true;
        break;
      }
    }
  }
  if (!removed) {
    return word;
  }
  char last = stem.back();  // non-empty: it contains a vowel
  return apply_rule_list(
      stem, {{"at", "ate", {}},
             {"bl", "ble", {}},
             {"iz", "ize", {}},
             {"*d", std::string(1, last),
              [last](std::string_view) { return last != 'l' && last != 's' && last != 'z'; }},
             {"", "e", [](std::string_view s) { return measure(s) == 1 && ends_cvc(s); }}});
}

std::string step1c(const std::string& word) {
  // NLTK: (*c and not c) Y -> I, so "happy" -> "happi" but "enjoy" and "by" stay.
  return apply_rule_list(word, {{"y", "i", [](std::string_view stem) {
                                   return stem.size() > 1 && is_consonant(stem, stem.size() - 1);
                                 }}});
}

std::string step2(const std::string& word) {
  if (ends_with(word, "alli") &&
      positive_measure(std::string_view(word).substr(0, word.size() - 4))) {
    return step2(replace_suffix(word, 4, "al"));  // NLTK applies ALLI -> AL first, then again
  }
  Condition m0 = positive_measure;
  // NLTK keeps the "l" of LOGI -> LOG with the stem when measuring.
  Condition logi = [&word](std::string_view) {
    return positive_measure(std::string_view(word).substr(0, word.size() - 3));
  };
  return apply_rule_list(word,
                         {{"ational", "ate", m0}, {"tional", "tion", m0}, {"enci", "ence", m0},
                          {"anci", "ance", m0},   {"izer", "ize", m0},    {"bli", "ble", m0},
                          {"alli", "al", m0},     {"entli", "ent", m0},   {"eli", "e", m0},
                          {"ousli", "ous", m0},   {"ization", "ize", m0}, {"ation", "ate", m0},
                          {"ator", "ate", m0},    {"alism", "al", m0},    {"iveness", "ive", m0},
                          {"fulness", "ful", m0}, {"ousness", "ous", m0}, {"aliti", "al", m0},
                          {"iviti", "ive", m0},   {"biliti", "ble", m0},  {"fulli", "ful", m0},
                          {"logi", "log", logi}});
}

std::string step3(const std::string& word) {
  Condition m0 = positive_measure;
  return apply_rule_list(word, {{"icate", "ic", m0},
                                {"ative", "", m0},
                                {"alize", "al", m0},
                                {"iciti", "ic", m0},
                                {"ical", "ic", m0},
                                {"ful", "", m0},
                                {"ness", "", m0}});
}

std::string step4(const std::string& word) {
  Condition m1 = [](std::string_view stem) { return measure(stem) > 1; };
  Condition ion = [](std::string_view stem) {  // (m>1 and (*S or *T)) ION ->
    return measure(stem) > 1 && (stem.back() == 's' || stem.back() == 't');
  };
  return apply_rule_list(word, {{"al", "", m1},
                                {"ance", "", m1},
                                {"ence", "", m1},
                                {"er", "", m1},
                                {"ic", "", m1},
                                {"able", "", m1},
                                {"ible", "", m1},
                                {"ant", "", m1},
                                {"ement", "", m1},
                                {"ment", "", m1},
                                {"ent", "", m1},
                                {"ion", "", ion},
                                {"ou", "", m1},
                                {"ism", "", m1},
                                {"ate", "", m1},
                                {"iti", "", m1},
                                {"ous", "", m1},
                                {"ive", "", m1},
                                {"ize", "", m1}});
}

std::string step5a(const std::string& word) {
  // (m>1) E -> ; (m=1 and not *o) E -> . Both conditions are tried, unlike _apply_rule_list.
  if (ends_with(word, "e")) {
    std::string_view stem = std::string_view(word).substr(0, word.size() - 1);
    if (measure(stem) > 1 || (measure(stem) == 1 && !ends_cvc(stem))) {
      return std::string(stem);
    }
  }
  return word;
}

std::string step5b(const std::string& word) {
  // (m>1 and *d and *L) -> single letter, measured on the word minus one "l".
  return apply_rule_list(word,
                         {{"ll", "l", [&word](std::string_view) {
                             return measure(std::string_view(word).substr(0, word.size() - 1)) > 1;
                           }}});
}

// NLTK's irregular forms, looked up before any step.
const char* irregular_stem(std::string_view word) {
  static constexpr std::pair<std::string_view, const char*> kPool[] = {
      {"sky", "sky"},         {"skies", "sky"},        {"dying", "die"},
      {"lying", "lie"},       {"tying", "tie"},        {"news", "news"},
      {"innings", "inning"},  {"inning", "inning"},    {"outings", "outing"},
      {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
      {"howe", "howe"},       {"proceed", "proceed"},  {"exceed", "exceed"},
      {"succeed", "succeed"},
  };
  for (const auto& [form, stem] : kPool) {
    if (form == word) {
      return stem;
    }
  }
  return nullptr;
}

}  // namespace

std::string porter_stem(std::string_view word) {
  std::string stem(word);
  for (char& c : stem) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  if (const char* irregular = irregular_stem(stem)) {
    return irregular;
  }
  if (word.size() <= 2) {
    return stem;
  }
  for (auto* step : {step1a, step1b, step1c, step2, step3, step4, step5a, step5b}) {
    stem = step(stem);
  }
  return stem;
}

}  // namespace hkv::jobs
