// jieba 0.42.1's finalseg: the BMES hidden Markov model that segments runs of single characters
// the dictionary does not know. Ported statement for statement from jieba/finalseg/__init__.py
// (the spec); the probabilities are read at run time from finalseg/prob_{start,trans,emit}.py.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace hkv::jobs {

class JiebaHmm {
 public:
  // Parses <finalseg_dir>/prob_start.py, prob_trans.py and prob_emit.py (Python dict literals
  // `P={...}`). FailedPrecondition naming the file when one is missing, DataLoss naming the file
  // and offset when one does not parse or lacks a state.
  static Result<JiebaHmm> load(const std::string& finalseg_dir);

  // finalseg.cut(sentence): runs of U+4E00..U+9FD5 go through the Viterbi decoder, the text
  // between them is split by ([a-zA-Z0-9]+(?:\.\d+)?%?) and every non-empty piece is yielded
  // whole. The views point into `sentence`.
  std::vector<std::u32string_view> cut(std::u32string_view sentence) const;

  // The number of emission entries per state, in B, M, E, S order (for tests).
  std::array<size_t, 4> emit_sizes() const;

 private:
  JiebaHmm() = default;

  // The BMES labels viterbi() returns for `obs` (one run of CJK characters, not empty), as
  // indices into "BMES".
  std::vector<int> viterbi(std::u32string_view obs) const;
  // __cut(): the words of one run, from its labels.
  void cut_han(std::u32string_view sentence, std::vector<std::u32string_view>& out) const;

  std::array<double, 4> start_{};                             // start_p[y]
  std::array<std::array<double, 4>, 4> trans_{};              // trans_p[y0][y], MIN_FLOAT if absent
  std::array<std::unordered_map<char32_t, double>, 4> emit_;  // emit_p[y][c]
};

}  // namespace hkv::jobs
