// NLTK's PorterStemmer in its default NLTK_EXTENSIONS mode (nltk/stem/porter.py), the stemmer
// rouge-score's tokenizer applies with use_stemmer=True. Ported rule for rule, including the
// irregular-forms table and NLTK's deviations from the 1980 paper.
#pragma once

#include <string>
#include <string_view>

namespace hkv::jobs {

// PorterStemmer().stem(word) for a lower-case ASCII word. rouge-score only passes tokens that
// match [a-z0-9]+; other bytes are treated as consonants (as nltk treats any non-vowel), and
// upper-case ASCII is lower-cased first (nltk's to_lowercase=True).
std::string porter_stem(std::string_view word);

}  // namespace hkv::jobs
