// The pre-tokenizer regex on hostile input: a backtracking blow-up is reported as an error of the
// encode call (never a process abort), and a long run of one character class, which PCRE2's
// default match limit used to reject, splits as it should.
#include "tokenizer/tokenizer_regex.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hkv::model::internal {
namespace {

TEST(TokenizerRegexTest, CatastrophicBacktrackingIsAnErrorNotAnAbort) {
  Result<Regex> regex = Regex::compile("(?:a|a)+$");
  ASSERT_TRUE(regex.ok()) << regex.status().to_string();
  RegexScratch scratch;
  std::vector<TextSpan> pieces;
  const std::string text = std::string(40, 'a') + "!";
  auto t0 = std::chrono::steady_clock::now();
  regex->split_isolated(text, 0, scratch, pieces);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 30.0);
  EXPECT_NE(scratch.error().find("match limit exceeded"), std::string::npos) << scratch.error();
  EXPECT_NE(scratch.error().find("(?:a|a)+$"), std::string::npos);
}

TEST(TokenizerRegexTest, LongWhitespaceRunSplitsWithoutHittingTheLimit) {
  Result<Regex> regex = Regex::compile(R"(\s+(?!\S)|\s+)");
  ASSERT_TRUE(regex.ok());
  RegexScratch scratch;
  std::vector<TextSpan> pieces;
  const std::string text = std::string(3'000'000, ' ') + "x";
  regex->split_isolated(text, 0, scratch, pieces);
  EXPECT_EQ(scratch.error(), "");
  ASSERT_EQ(pieces.size(), 3u);  // HF: all but the last space, then " ", then "x"
  EXPECT_EQ(pieces[0].end, 2'999'999u);
  EXPECT_EQ(pieces[2].begin, 3'000'000u);
}

}  // namespace
}  // namespace hkv::model::internal
