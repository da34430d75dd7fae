// jieba 0.42.1 finalseg (jieba/finalseg/__init__.py) in C++. Sums are formed in the Python's
// order, and every max() over tuples breaks ties on the state letter as Python does, so the
// labels are the Python's to the last bit.
#include "metrics/jieba_hmm.h"

#include <utility>

#include "common/mapped_file.h"
#include "common/paths.h"
#include "metrics/jieba_py_literal.h"
#include "metrics/py_unicode.h"

namespace hkv::jobs {
namespace {

constexpr double kMinFloat = -3.14e100;  // MIN_FLOAT

// States in the order viterbi() iterates them, 'BMES'. Indices below refer to this string.
constexpr std::string_view kStates = "BMES";
constexpr int kB = 0;
constexpr int kM = 1;
constexpr int kE = 2;
constexpr int kS = 3;

// PrevStatus = {'B': 'ES', 'M': 'MB', 'S': 'SE', 'E': 'BM'}, indexed by state, in that order.
constexpr int kPrevStatus[4][2] = {{kE, kS}, {kM, kB}, {kB, kM}, {kS, kE}};

bool is_hmm_han(char32_t c) {  // finalseg's re_han: [\u4E00-\u9FD5]
  return c >= 0x4E00 && c <= 0x9FD5;
}

bool is_ascii_alnum(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
}

// Length of the re_skip match ([a-zA-Z0-9]+(?:\.\d+)?%?) at the start of `text`, or 0. The
// greedy quantifiers never need to back off: everything after the first run is optional.
size_t skip_match_length(std::u32string_view text) {
  size_t n = 0;
  while (n < text.size() && is_ascii_alnum(text[n])) {
    ++n;
  }
  if (n == 0) {
    return 0;
  }
  if (n + 1 < text.size() && text[n] == U'.' && py_isdecimal(text[n + 1])) {
    n += 2;
    while (n < text.size() && py_isdecimal(text[n])) {
      ++n;
    }
  }
  if (n < text.size() && text[n] == U'%') {
    ++n;
  }
  return n;
}

int state_index(std::u32string_view key) {
  if (key.size() == 1) {
    size_t i = kStates.find(static_cast<char>(key[0]));
    if (key[0] < 0x80 && i != std::string_view::npos) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

Result<std::vector<PyLiteralNumber>> read_prob_file(const std::string& path) {
  if (!path_exists(path)) {
    return errorf(StatusCode::kFailedPrecondition,
                  "jieba HMM file '%s' not found: install python3-jieba (scripts/install-deps.sh) "
                  "or set HEADKV_JIEBA_DIR to a jieba 0.42.1 package directory",
                  path.c_str());
  }
  HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(path));
  return parse_py_dict_literal(text, path);
}

// prob_start: P[state]; prob_trans: P[state][state]; prob_emit: P[state][one character]. A
// longer emission key could never equal the one character it is looked up with, so it is refused
// as malformed rather than carried along.
enum class ProbFile { kStart, kTrans, kEmit };

Status check_entry(const PyLiteralNumber& entry, ProbFile kind, const std::string& path) {
  size_t depth = kind == ProbFile::kStart ? 1 : 2;
  bool ok = entry.keys.size() == depth && state_index(entry.keys[0]) >= 0;
  if (ok && kind == ProbFile::kTrans) {
    ok = state_index(entry.keys[1]) >= 0;
  } else if (ok && kind == ProbFile::kEmit) {
    ok = entry.keys[1].size() == 1;
  }
  if (!ok) {
    std::string keys;
    for (const std::u32string& key : entry.keys) {
      keys += "['" + utf8_encode(key) + "']";
    }
    const char* expected = kind == ProbFile::kStart   ? "P[state]"
                           : kind == ProbFile::kTrans ? "P[state][state]"
                                                      : "P[state][one character]";
    return errorf(StatusCode::kDataLoss, "'%s': entry P%s is not of the form %s (states B M E S)",
                  path.c_str(), keys.c_str(), expected);
  }
  return Status::ok_status();
}

}  // namespace

Result<JiebaHmm> JiebaHmm::load(const std::string& finalseg_dir) {
  JiebaHmm hmm;
  const std::string start_path = finalseg_dir + "/prob_start.py";
  const std::string trans_path = finalseg_dir + "/prob_trans.py";
  const std::string emit_path = finalseg_dir + "/prob_emit.py";
  HKV_ASSIGN_OR_RETURN(std::vector<PyLiteralNumber> start, read_prob_file(start_path));
  HKV_ASSIGN_OR_RETURN(std::vector<PyLiteralNumber> trans, read_prob_file(trans_path));
  HKV_ASSIGN_OR_RETURN(std::vector<PyLiteralNumber> emit, read_prob_file(emit_path));

  // start_p[y] and emit_p[y] raise KeyError in Python for a missing state: require all four.
  std::array<bool, 4> has_start{}, has_trans{}, has_emit{};
  for (const PyLiteralNumber& entry : start) {
    HKV_RETURN_IF_ERROR(check_entry(entry, ProbFile::kStart, start_path));
    int y = state_index(entry.keys[0]);
    hmm.start_[y] = entry.value;
    has_start[y] = true;
  }
  for (auto& row : hmm.trans_) {
    row.fill(kMinFloat);  // trans_p[y0].get(y, MIN_FLOAT)
  }
  for (const PyLiteralNumber& entry : trans) {
    HKV_RETURN_IF_ERROR(check_entry(entry, ProbFile::kTrans, trans_path));
    int y0 = state_index(entry.keys[0]);
    hmm.trans_[y0][state_index(entry.keys[1])] = entry.value;
    has_trans[y0] = true;
  }
  for (const PyLiteralNumber& entry : emit) {
    HKV_RETURN_IF_ERROR(check_entry(entry, ProbFile::kEmit, emit_path));
    int y = state_index(entry.keys[0]);
    hmm.emit_[y].emplace(entry.keys[1][0], entry.value);
    has_emit[y] = true;
  }
  for (int y = 0; y < 4; ++y) {
    const char* missing = !has_start[y]   ? start_path.c_str()
                          : !has_trans[y] ? trans_path.c_str()
                          : !has_emit[y]  ? emit_path.c_str()
                                          : nullptr;
    if (missing != nullptr) {
      return errorf(StatusCode::kDataLoss, "'%s' has no entry for HMM state '%c'", missing,
                    kStates[y]);
    }
  }
  return hmm;
}

std::array<size_t, 4> JiebaHmm::emit_sizes() const {
  return {emit_[kB].size(), emit_[kM].size(), emit_[kE].size(), emit_[kS].size()};
}

std::vector<int> JiebaHmm::viterbi(std::u32string_view obs) const {
  auto emit = [&](int y, char32_t c) {  // emit_p[y].get(c, MIN_FLOAT)
    auto it = emit_[y].find(c);
    return it == emit_[y].end() ? kMinFloat : it->second;
  };
  std::array<double, 4> v{};
  for (int y = 0; y < 4; ++y) {
    v[y] = start_[y] + emit(y, obs[0]);
  }
  // back[t][y]: the y0 that max() chose for state y at step t (path[state] + [y]).
  std::vector<std::array<int, 4>> back(obs.size());
  for (size_t t = 1; t < obs.size(); ++t) {
    std::array<double, 4> next{};
    for (int y = 0; y < 4; ++y) {
      double em_p = emit(y, obs[t]);
      // max([(V[t-1][y0] + trans_p[y0].get(y, MIN_FLOAT) + em_p, y0) for y0 in PrevStatus[y]]):
      // the larger probability, and on a tie the larger state letter.
      int best = -1;
      double best_prob = 0.0;
      for (int y0 : kPrevStatus[y]) {
        double prob = v[y0] + trans_[y0][y] + em_p;
        if (best < 0 || prob > best_prob || (prob == best_prob && kStates[y0] > kStates[best])) {
          best = y0;
          best_prob = prob;
        }
      }
      next[y] = best_prob;
      back[t][y] = best;
    }
    v = next;
  }
  // max((V[-1][y], y) for y in 'ES'): S wins ties.
  int state = v[kS] >= v[kE] ? kS : kE;
  std::vector<int> labels(obs.size());
  for (size_t t = obs.size(); t-- > 0;) {
    labels[t] = state;
    state = back[t][state];
  }
  return labels;
}

void JiebaHmm::cut_han(std::u32string_view sentence, std::vector<std::u32string_view>& out) const {
  std::vector<int> pos_list = viterbi(sentence);
  size_t begin = 0;
  size_t nexti = 0;
  for (size_t i = 0; i < sentence.size(); ++i) {
    int pos = pos_list[i];
    if (pos == kB) {
      begin = i;
    } else if (pos == kE) {
      out.push_back(sentence.substr(begin, i + 1 - begin));
      nexti = i + 1;
    } else if (pos == kS) {
      out.push_back(sentence.substr(i, 1));
      nexti = i + 1;
    }
  }
  if (nexti < sentence.size()) {
    out.push_back(sentence.substr(nexti));
  }
}

std::vector<std::u32string_view> JiebaHmm::cut(std::u32string_view sentence) const {
  std::vector<std::u32string_view> out;
  size_t i = 0;
  while (i < sentence.size()) {
    size_t start = i;
    bool han = is_hmm_han(sentence[i]);
    while (i < sentence.size() && is_hmm_han(sentence[i]) == han) {
      ++i;
    }
    std::u32string_view block = sentence.substr(start, i - start);
    if (han) {
      cut_han(block, out);  // Force_Split_Words is empty
      continue;
    }
    // re_skip.split(blk): matches and the (non-empty) text between them, all yielded whole.
    size_t piece = 0;
    size_t j = 0;
    while (j < block.size()) {
      size_t n = skip_match_length(block.substr(j));
      if (n == 0) {
        ++j;
        continue;
      }
      if (j > piece) {
        out.push_back(block.substr(piece, j - piece));
      }
      out.push_back(block.substr(j, n));
      j += n;
      piece = j;
    }
    if (piece < block.size()) {
      out.push_back(block.substr(piece));
    }
  }
  return out;
}

}  // namespace hkv::jobs
