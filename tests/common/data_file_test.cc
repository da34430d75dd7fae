// Data files stored as NAME or NAME.gz: lookup order, transparent decompression (single and
// concatenated members), and the errors for a missing file and a truncated or garbage .gz.
#include "common/data_file.h"

#include <string>
#include <zlib.h>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace hkv {
namespace {

std::string gzip(const std::string& text) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(DataFileTest, PlainFileWinsOverGz) {
  testing::TempDir dir;
  dir.write("a.jsonl", "plain\n");
  dir.write("a.jsonl.gz", gzip("compressed\n"));
  EXPECT_EQ(*existing_data_file(dir.path() + "/a.jsonl"), dir.path() + "/a.jsonl");
  EXPECT_EQ(*read_data_file(dir.path() + "/a.jsonl"), "plain\n");
}

TEST(DataFileTest, ReadsGzWhenOnlyItExists) {
  testing::TempDir dir;
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 7) {
    text[i] = static_cast<char>('a' + i % 26);
  }
  dir.write("b.json.gz", gzip(text));
  EXPECT_EQ(*existing_data_file(dir.path() + "/b.json"), dir.path() + "/b.json.gz");
  Result<std::string> got = read_data_file(dir.path() + "/b.json");
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, text);
}

TEST(DataFileTest, ConcatenatedMembers) {
  EXPECT_EQ(*gunzip(gzip("one\n") + gzip("two\n"), "c.gz"), "one\ntwo\n");
}

TEST(DataFileTest, MissingNamesBothForms) {
  testing::TempDir dir;
  EXPECT_FALSE(existing_data_file(dir.path() + "/none.jsonl").has_value());
  Result<std::string> got = read_data_file(dir.path() + "/none.jsonl");
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_NE(got.status().message().find("none.jsonl.gz"), std::string::npos);
}

TEST(DataFileTest, TruncatedAndGarbageGzAreDataLoss) {
  const std::string whole = gzip(std::string(5000, 'q') + "tail");
  Result<std::string> truncated = gunzip(whole.substr(0, whole.size() / 2), "t.gz");
  EXPECT_EQ(truncated.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.status().message().find("t.gz: not a complete gzip stream"),
            std::string::npos);
  EXPECT_EQ(gunzip("definitely not gzip", "g.gz").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hkv
