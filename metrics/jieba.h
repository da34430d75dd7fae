// jieba 0.42.1's default segmentation, jieba.cut(text, cut_all=False) with HMM=True, ported
// statement for statement from jieba/__init__.py (the spec) so the tokens are identical. The data
// is not vendored: dict.txt and finalseg/prob_*.py are read at run time from Debian's
// python3-jieba (0.42.1, the same files as PyPI jieba 0.42.1) or from $HEADKV_JIEBA_DIR.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "metrics/jieba_hmm.h"
#include "metrics/metrics.h"

namespace hkv::jobs {

// Where python3-jieba installs the package (dict.txt, finalseg/).
inline constexpr const char* kDefaultJiebaDir = "/usr/lib/python3/dist-packages/jieba";

// $HEADKV_JIEBA_DIR when set and non-empty, else kDefaultJiebaDir.
std::string jieba_data_dir();

class JiebaSegmenter final : public WordSegmenter {
  struct Key {  // lets load() use std::make_unique while keeping construction private
    explicit Key() = default;
  };

  struct Hash {
    using is_transparent = void;

    size_t operator()(std::u32string_view s) const { return std::hash<std::u32string_view>{}(s); }
  };

  using FreqMap = std::unordered_map<std::u32string, int64_t, Hash, std::equal_to<>>;

 public:
  // Reads <dir>/dict.txt (gen_pfdict) and <dir>/finalseg/prob_*.py (JiebaHmm::load), about 0.5 s.
  // FailedPrecondition naming the missing file and saying to install python3-jieba; DataLoss
  // naming file and line for an entry gen_pfdict would reject or that is not "word digits".
  static Result<std::unique_ptr<JiebaSegmenter>> load(const std::string& dir);

  // jieba.cut(text, cut_all=False). Text is decoded as in metrics/py_unicode.h (an invalid byte is
  // one U+FFFD); the tokens are UTF-8 and concatenate back to the decoded text. Never fails.
  Result<std::vector<std::string>> cut(std::string_view text) const override;
  // The same on code points; the views point into `text`.
  std::vector<std::u32string_view> cut(std::u32string_view text) const;

  // len(FREQ) (words and all their prefixes) and total (the sum of dict.txt's counts).
  size_t freq_size() const { return freq_.size(); }

  int64_t total() const { return total_; }

  const JiebaHmm& hmm() const { return hmm_; }

  JiebaSegmenter(Key key, FreqMap freq, int64_t total, JiebaHmm hmm);

 private:
  // FREQ.get(word), or nullptr when absent.
  const int64_t* find(std::u32string_view word) const;
  // __cut_DAG(sentence) for one run of re_han_default characters, appended to `out`.
  void cut_dag(std::u32string_view sentence, std::vector<std::u32string_view>& out) const;
  // The best route of calc(): route[idx][1], the end (inclusive) of the word starting at idx.
  std::vector<size_t> best_route(std::u32string_view sentence) const;

  FreqMap freq_;
  int64_t total_ = 0;
  double log_total_ = 0.0;
  JiebaHmm hmm_;
};

}  // namespace hkv::jobs
