// jieba 0.42.1 Tokenizer (jieba/__init__.py) in C++: gen_pfdict, get_DAG, calc, __cut_DAG and
// cut(cut_all=False, HMM=True). Route probabilities are log(freq) - logtotal + route[x + 1] in
// that order with C's log, as in the Python, so ties and near-ties resolve identically.
#include "metrics/jieba.h"

#include <cmath>
#include <cstdlib>
#include <utility>

#include "common/mapped_file.h"
#include "common/paths.h"
#include "metrics/py_unicode.h"

namespace hkv::jobs {
namespace {

constexpr const char* kInstallHint =
    "install python3-jieba (scripts/install-deps.sh) or set HEADKV_JIEBA_DIR to a jieba 0.42.1 "
    "package directory";

// re_han_default: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]
bool is_han_default(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FD5) || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') ||
         (c >= U'0' && c <= U'9') || c == U'+' || c == U'#' || c == U'&' || c == U'.' ||
         c == U'_' || c == U'%' || c == U'-';
}

bool is_ascii_space_byte(char c) {  // bytes.strip()
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c';
}

std::string_view strip_bytes(std::string_view s) {
  while (!s.empty() && is_ascii_space_byte(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ascii_space_byte(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// One dict.txt line as gen_pfdict reads it: strip(), decode('utf-8'), split(' ')[:2], int().
// int() would also take signs, underscores and non-ASCII digits; dict.txt has none of those, and
// a line with them is refused here rather than interpreted.
Status parse_dict_line(std::string_view raw,
                       const std::string& path,
                       size_t lineno,
                       std::u32string* word,
                       int64_t* freq) {
  std::string_view line = strip_bytes(raw);
  auto fail = [&](const char* why) {
    return errorf(StatusCode::kDataLoss, "invalid dictionary entry in '%s' at line %zu (%s): '%s'",
                  path.c_str(), lineno, why, std::string(line.substr(0, 200)).c_str());
  };
  if (utf8_encode(utf8_decode(line)) != line) {  // Python's strict decode raises
    return fail("not UTF-8");
  }
  size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return fail("expected 'word count [tag]'");
  }
  std::string_view count = line.substr(space + 1);
  count = count.substr(0, count.find(' '));
  if (count.empty() || count.size() > 15 ||
      count.find_first_not_of("0123456789") != std::string_view::npos) {
    return fail("the count is not 1 to 15 ASCII digits");
  }
  *word = utf8_decode(line.substr(0, space));
  *freq = std::strtoll(std::string(count).c_str(), nullptr, 10);
  return Status::ok_status();
}

}  // namespace

std::string jieba_data_dir() {
  if (const char* env = std::getenv("HEADKV_JIEBA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return kDefaultJiebaDir;
}

JiebaSegmenter::JiebaSegmenter(Key, FreqMap freq, int64_t total, JiebaHmm hmm)
    : freq_(std::move(freq)),
      total_(total),
      log_total_(std::log(static_cast<double>(total))),
      hmm_(std::move(hmm)) {}

Result<std::unique_ptr<JiebaSegmenter>> JiebaSegmenter::load(const std::string& dir) {
  const std::string dict_path = dir + "/dict.txt";
  if (!path_exists(dict_path)) {
    return errorf(StatusCode::kFailedPrecondition, "jieba dictionary '%s' not found: %s",
                  dict_path.c_str(), kInstallHint);
  }
  HKV_ASSIGN_OR_RETURN(JiebaHmm hmm, JiebaHmm::load(dir + "/finalseg"));
  HKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(dict_path));

  // gen_pfdict: every word with its count (a repeated word keeps the last count, but all counts
  // add to the total), and every prefix of a word with 0 unless already present.
  FreqMap freq;
  freq.reserve(text.size() / 8);
  int64_t total = 0;
  size_t lineno = 0;
  size_t pos = 0;
  std::u32string word;
  while (pos < text.size()) {  // `for line in f`: lines end after '\n'; no empty last line
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    int64_t count = 0;
    HKV_RETURN_IF_ERROR(parse_dict_line(std::string_view(text).substr(pos, end - pos), dict_path,
                                        ++lineno, &word, &count));
    pos = end;
    freq.insert_or_assign(word, count);
    if (__builtin_add_overflow(total, count, &total)) {
      return errorf(StatusCode::kDataLoss, "'%s' line %zu: the total count overflows int64",
                    dict_path.c_str(), lineno);
    }
    for (size_t n = 1; n <= word.size(); ++n) {
      freq.try_emplace(word.substr(0, n), 0);
    }
  }
  if (total <= 0) {
    return errorf(StatusCode::kDataLoss, "'%s' has no word with a positive count",
                  dict_path.c_str());
  }
  return std::make_unique<JiebaSegmenter>(Key(), std::move(freq), total, std::move(hmm));
}

const int64_t* JiebaSegmenter::find(std::u32string_view word) const {
  auto it = freq_.find(word);
  return it == freq_.end() ? nullptr : &it->second;
}

std::vector<size_t> JiebaSegmenter::best_route(std::u32string_view sentence) const {
  const size_t n = sentence.size();
  std::vector<double> route_prob(n + 1, 0.0);   // route[idx][0]; route[N] = (0, 0)
  std::vector<size_t> route_end(n + 1, 0);      // route[idx][1]
  std::vector<std::pair<size_t, int64_t>> dag;  // (x, FREQ[sentence[idx:x + 1]])
  for (size_t idx = n; idx-- > 0;) {
    // get_DAG()[idx]: the ends x of the words sentence[idx:x + 1] with a non-zero count,
    // following prefixes while they are in FREQ; [idx] when there is none.
    dag.clear();
    for (size_t x = idx; x < n; ++x) {
      const int64_t* count = find(sentence.substr(idx, x + 1 - idx));
      if (count == nullptr) {
        break;
      }
      if (*count != 0) {
        dag.emplace_back(x, *count);
      }
    }
    if (dag.empty()) {
      dag.emplace_back(idx, 1);  // FREQ.get(sentence[idx]) is None or 0: "or 1"
    }
    // calc(): max((log(FREQ.get(word) or 1) - logtotal + route[x + 1][0], x) for x in DAG[idx]);
    // x ascends, so ">=" lets the larger x win a tie as the tuple comparison does.
    for (size_t k = 0; k < dag.size(); ++k) {
      auto [x, count] = dag[k];
      double prob = std::log(static_cast<double>(count)) - log_total_ + route_prob[x + 1];
      if (k == 0 || prob >= route_prob[idx]) {
        route_prob[idx] = prob;
        route_end[idx] = x;
      }
    }
  }
  route_end.pop_back();
  return route_end;
}

void JiebaSegmenter::cut_dag(std::u32string_view sentence,
                             std::vector<std::u32string_view>& out) const {
  std::vector<size_t> route = best_route(sentence);
  // buf: the run of single-character words just seen, sentence[buf_begin:x].
  size_t buf_begin = 0;
  size_t buf_len = 0;
  auto flush = [&]() {
    std::u32string_view buf = sentence.substr(buf_begin, buf_len);
    const int64_t* count = buf_len > 1 ? find(buf) : nullptr;
    if (buf_len == 1) {
      out.push_back(buf);
    } else if (count == nullptr || *count == 0) {  // not self.FREQ.get(buf)
      for (std::u32string_view word : hmm_.cut(buf)) {
        out.push_back(word);
      }
    } else {
      for (size_t i = 0; i < buf_len; ++i) {
        out.push_back(buf.substr(i, 1));
      }
    }
    buf_len = 0;
  };
  size_t x = 0;
  while (x < sentence.size()) {
    size_t y = route[x] + 1;
    if (y - x == 1) {
      if (buf_len == 0) {
        buf_begin = x;
      }
      ++buf_len;
    } else {
      if (buf_len > 0) {
        flush();
      }
      out.push_back(sentence.substr(x, y - x));
    }
    x = y;
  }
  if (buf_len > 0) {
    flush();
  }
}

std::vector<std::u32string_view> JiebaSegmenter::cut(std::u32string_view text) const {
  std::vector<std::u32string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    if (is_han_default(text[i])) {  // a re_han_default block goes through __cut_DAG
      while (i < text.size() && is_han_default(text[i])) {
        ++i;
      }
      cut_dag(text.substr(start, i - start), out);
      continue;
    }
    // Other text is split by (\r\n|\s): the separators are yielded as they are, the rest one
    // code point at a time, so every code point stands alone except "\r\n".
    size_t n = (text[i] == U'\r' && i + 1 < text.size() && text[i + 1] == U'\n') ? 2 : 1;
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

Result<std::vector<std::string>> JiebaSegmenter::cut(std::string_view text) const {
  std::u32string decoded = utf8_decode(text);
  std::vector<std::string> out;
  for (std::u32string_view word : cut(std::u32string_view(decoded))) {
    out.push_back(utf8_encode(word));
  }
  return out;
}

namespace {

// jieba_segmenter(): loads on first use, once and thread-safely (a function-local static). A
// load error is kept as well, so every call reports it rather than retrying.
class LazyJieba final : public WordSegmenter {
 public:
  Result<std::vector<std::string>> cut(std::string_view text) const override {
    static const Result<std::unique_ptr<JiebaSegmenter>> kLoaded =
        JiebaSegmenter::load(jieba_data_dir());
    if (!kLoaded.ok()) {
      return kLoaded.status();
    }
    return (*kLoaded)->cut(text);
  }
};

}  // namespace

const WordSegmenter& jieba_segmenter() {
  static const LazyJieba kJieba;
  return kJieba;
}

}  // namespace hkv::jobs
