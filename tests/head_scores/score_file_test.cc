// Score files: numpy-identical means, the §4.1 facts of the four reference files, strict key
// order and shape validation, aliases, and byte-exact saving.
#include "head_scores/score_file.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/data_file.h"
#include "common/mapped_file.h"
#include "common/paths.h"
#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"

namespace hkv::head_scores {
namespace {

std::string score_path(const std::string& file) {
  return testing::repo_data_dir() + "/head_scores/" + file;
}

// Position-weighted XOR of the means' bit patterns: any one-ulp difference changes it.
uint64_t means_checksum(const std::vector<double>& means) {
  uint64_t h = 0;
  for (size_t i = 0; i < means.size(); ++i) {
    uint64_t bits;
    std::memcpy(&bits, &means[i], sizeof(bits));
    h ^= bits * (2 * i + 1);
  }
  return h;
}

void expect_error(const Result<HeadScoreTable>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << needle;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().to_string();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST(NumpySumTest, PairwiseSumMatchesNumpyBitForBit) {
  // np.add.reduce of a_k = (k*7919 % 1000)/7 - 60 + 1e-3/(k+1), numpy 2.4.6; from n = 74 on a
  // left-to-right sum gives a different last bit.
  struct Case {
    size_t n;
    double expected;
  };

  const Case cases[] = {{5, 0x1.376ee22361b2fp+7},    {8, 0x1.8801643c27165p+7},
                        {13, 0x1.fb7abd781550ep+4},   {74, 0x1.6f12e950463d8p+9},
                        {107, 0x1.37097aaa232b8p+10}, {128, 0x1.6092a228d78e2p+10},
                        {136, 0x1.4c24ec4abaeecp+10}, {148, 0x1.7eee123e6d8eep+10},
                        {300, 0x1.af403377b37ccp+11}, {1000, 0x1.62e933e6d408ep+13}};
  for (const Case& c : cases) {
    std::vector<double> a;
    for (size_t k = 0; k < c.n; ++k) {
      a.push_back(static_cast<double>(k * 7919 % 1000) / 7.0 - 60.0 + 1e-3 / (k + 1.0));
    }
    EXPECT_EQ(numpy_pairwise_sum(a), c.expected) << "n=" << c.n;
    EXPECT_EQ(numpy_mean(a), c.expected / static_cast<double>(c.n)) << "n=" << c.n;
  }
  EXPECT_EQ(numpy_pairwise_sum({}), 0.0);
}

// ALGORITHMS.md §4.1 table, plus numpy-exact checks of every mean.
struct FileFacts {
  const char* file;
  int32_t list_length;
  int zero_heads;
  double sum_of_means;  // to 2 decimals
  const char* top_head;
  double top_mean;          // numpy.mean, exact
  uint64_t means_checksum;  // of numpy.mean over all 1024 heads (numpy 2.4.6)
};

// Names the file instead of dumping the struct's bytes in test listings.
void PrintTo(const FileFacts& facts, std::ostream* os) {
  *os << facts.file;
}

class ReferenceFileTest : public ::testing::TestWithParam<FileFacts> {};

TEST_P(ReferenceFileTest, MatchesSection41) {
  const FileFacts& facts = GetParam();
  std::string path = score_path(facts.file);
  HKV_ASSERT_DATA(path);
  auto table = load_score_file(path);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(table->num_layers, 32);
  EXPECT_EQ(table->num_heads, 32);
  EXPECT_EQ(table->num_samples, facts.list_length);
  int zeros = 0;
  double sum = 0.0;  // Python's sum: sequential
  size_t top = 0;
  for (size_t i = 0; i < table->means.size(); ++i) {
    zeros += table->means[i] == 0.0;
    sum += table->means[i];
    if (table->means[i] > table->means[top]) {
      top = i;
    }
  }
  EXPECT_EQ(zeros, facts.zero_heads);
  EXPECT_NEAR(sum, facts.sum_of_means, 0.005);
  EXPECT_EQ(std::to_string(top / 32) + "-" + std::to_string(top % 32), facts.top_head);
  EXPECT_EQ(table->means[top], facts.top_mean);
  EXPECT_EQ(means_checksum(table->means), facts.means_checksum);
}

TEST_P(ReferenceFileTest, ResavingReproducesTheFileByteForByte) {
  std::string path = score_path(GetParam().file);
  HKV_ASSERT_DATA(path);
  auto table = load_score_file(path);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  auto original = read_data_file(path);
  ASSERT_TRUE(original.ok());
  std::string again = format_score_json(*table);
  ASSERT_EQ(again.size(), original->size());
  EXPECT_TRUE(again == *original);
}

INSTANTIATE_TEST_SUITE_P(
    HeadKv,
    ReferenceFileTest,
    ::testing::Values(FileFacts{"Meta-Llama-3-8B-Instruct_retrieval_heads.json", 107, 728, 19.80,
                                "15-30", 1.0087326087875839, 0x5f00a6449e57962eull},
                      FileFacts{"Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json", 74, 2,
                                22.87, "15-30", 0.3442592047592376, 0x986c494549d461c3ull},
                      FileFacts{"Mistral-7B-Instruct-v0.2_retrieval_heads.json", 148, 701, 17.68,
                                "18-0", 0.8849446250762039, 0x8bb6c23e48316e8aull},
                      FileFacts{"Mistral-7B-Instruct-v0.2_retrieval_reasoning_heads.json", 76, 4,
                                19.83, "18-0", 0.31796486507784527, 0xf2840da3f0b42ab6ull}),
    [](const ::testing::TestParamInfo<FileFacts>& info) {
      std::string name = info.param.file;
      std::string out;
      for (char c : name.substr(0, name.size() - 5)) {
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
      return out;
    });

// The SmolLM2 files headkv ships (computed by `headkv heads detect`) load, have SmolLM2's shape and
// every head's list of the same length, and re-save byte for byte.
TEST(ShippedScoreFileTest, SmolLm2FilesLoadBackIdentically) {
  for (const char* name : {"SmolLM2-135M-Instruct_retrieval_heads.json",
                           "SmolLM2-135M-Instruct_retrieval_reasoning_heads.json"}) {
    const std::string path = std::string(HKV_SOURCE_DIR) + "/head_scores/data/" + name;
    auto table = load_score_file(path);
    ASSERT_TRUE(table.ok()) << table.status().to_string();
    EXPECT_EQ(table->num_layers, 30) << name;
    EXPECT_EQ(table->num_heads, 9) << name;
    auto original = read_file_to_string(path);
    ASSERT_TRUE(original.ok());
    EXPECT_TRUE(format_score_json(*table) == *original) << name;
  }
}

TEST(ScoreFileTest, ParsesSmallTableInFileOrder) {
  auto table = parse_score_json(
      R"({"0-0": [1, 0], "0-1": [0.5, 0.25], "0-2": [0, 0], "1-0": [2, 2], "1-1": [0, 1],)"
      R"( "1-2": [3, 0.5]})",
      "small.json");
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(table->num_layers, 2);
  EXPECT_EQ(table->num_heads, 3);
  EXPECT_EQ(table->num_samples, 2);
  EXPECT_EQ(table->means, (std::vector<double>{0.5, 0.375, 0.0, 2.0, 0.5, 1.75}));
  EXPECT_EQ(table->mean(1, 2), 1.75);
}

TEST(ScoreFileTest, MalformedJsonNamesTheSource) {
  auto r = parse_score_json(R"({"0-0": [1, 2,})", "bad.json");
  expect_error(r, "bad.json: malformed JSON");
  expect_error(parse_score_json("[[1, 2]]", "list.json"), "list.json: expected an object");
  expect_error(parse_score_json("{}", "empty.json"), "has no heads");
}

TEST(ScoreFileTest, RejectsIncompleteTableNamingTheMissingKey) {
  expect_error(parse_score_json(R"({"0-0": [1], "0-1": [1], "1-1": [1]})", "x.json"),
               "x.json: incomplete table: key '1-0' is missing (3 keys, expected 4 = 2 layers x 2");
  // The last key absent: every present key is in place, the gap is at the end.
  expect_error(parse_score_json(R"({"0-0": [1], "0-1": [1], "1-0": [1]})", "x.json"),
               "key '1-1' is missing");
}

TEST(ScoreFileTest, RejectsOutOfOrderKeys) {
  // Complete, but not layer-major: the reference would map position 1 to head 0-1 regardless.
  expect_error(parse_score_json(R"({"0-0": [1], "1-0": [1], "0-1": [1], "1-1": [1]})", "x.json"),
               "key '1-0' at position 1, expected '0-1': keys must be in layer-major order");
  expect_error(parse_score_json(R"({"0-0": [1], "0-01": [1]})", "x.json"),
               "key '0-01' at position 1, expected '0-1'");
  expect_error(parse_score_json(R"({"0-0": [1], "0_1": [1]})", "x.json"),
               "key '0_1' at position 1 is not \"<layer>-<head>\"");
}

TEST(ScoreFileTest, RejectsBadListsNamingTheKey) {
  expect_error(parse_score_json(R"({"0-0": [1, 2], "0-1": [1, 2, 3]})", "x.json"),
               "key '0-1' has 3 scores, expected 2 like '0-0'");
  expect_error(parse_score_json(R"({"0-0": [], "0-1": []})", "x.json"),
               "key '0-0' has an empty score list");
  expect_error(parse_score_json(R"({"0-0": [1, "2"]})", "x.json"),
               "key '0-0': score [1] is a string, expected a number");
  expect_error(parse_score_json(R"({"0-0": 1})", "x.json"),
               "key '0-0': expected a list of scores, got number");
}

TEST(ScoreFileTest, MissingFileIsNotFound) {
  auto r = load_score_file("/nonexistent/dir/scores.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/dir/scores.json"), std::string::npos);
}

TEST(ScoreFileTest, SaveThenLoadRoundTrips) {
  std::vector<std::vector<double>> scores = {
      {0.0, 0.1, 1.0}, {1e-05, 1.5e-07, 1234.5}, {0.00011126200358072917, 0.0001, 2.0 / 3.0},
      {0.0, 0.0, 0.0}, {1e16, 1e15, 0.375},      {5e-324, 0.2, 0.30000000000000004}};
  auto table = make_score_table(2, 3, scores);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  testing::TempDir dir;
  std::string path = dir.path() + "/scores.json";
  ASSERT_TRUE(save_score_file(*table, path).ok());
  auto text = read_file_to_string(path);
  ASSERT_TRUE(text.ok());
  // Python json.dumps spelling of each value; no trailing newline.
  EXPECT_EQ(*text,
            R"({"0-0": [0, 0.1, 1.0], "0-1": [1e-05, 1.5e-07, 1234.5], )"
            R"("0-2": [0.00011126200358072917, 0.0001, 0.6666666666666666], "1-0": [0, 0, 0], )"
            R"("1-1": [1e+16, 1000000000000000.0, 0.375], "1-2": [5e-324, 0.2, )"
            R"(0.30000000000000004]})");
  auto loaded = load_score_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->num_layers, 2);
  EXPECT_EQ(loaded->num_heads, 3);
  EXPECT_EQ(loaded->scores, table->scores);
  EXPECT_EQ(loaded->means, table->means);
}

TEST(ScoreFileTest, MakeTableValidatesShape) {
  auto r = make_score_table(2, 2, {{1.0}, {1.0}, {1.0}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3 entries, expected 4 = 2 layers x 2 heads"),
            std::string::npos)
      << r.status().message();
}

TEST(ScoreAliasTest, ResolvesAliasesByModelFamily) {
  testing::TempDir data;
  std::filesystem::create_directories(data.path() + "/head_scores");
  std::string llama_r2 =
      data.write("head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json", "{}");
  std::string mistral_r =
      data.write("head_scores/Mistral-7B-Instruct-v0.2_retrieval_heads.json", "{}");

  auto r = resolve_score_path("reasoning", "meta-llama/Meta-LLAMA-3-8B-Instruct", data.path());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, llama_r2);
  r = resolve_score_path("retrieval", "MISTRAL-7b", data.path());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, mistral_r);
  // Not an alias: a path, returned unchanged (loading reports a missing file).
  r = resolve_score_path("my/scores.json", "", data.path());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "my/scores.json");
}

TEST(ScoreAliasTest, AliasFallsBackToTheShippedFilesAndErrorsNameTheAlias) {
  testing::TempDir data;  // an explicit root without score files: the shipped ones are found
  auto r = resolve_score_path("retrieval", "llama", data.path());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, shipped_data_dir() + "/head_scores/Meta-Llama-3-8B-Instruct_retrieval_heads.json");
  EXPECT_TRUE(load_score_file(*r).ok());  // stored as .json.gz, read transparently

  r = resolve_score_path("reasoning", "qwen2", data.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'llama' or 'mistral' (got 'qwen2')"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace hkv::head_scores
