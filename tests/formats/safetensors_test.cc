// safetensors reader: valid single/sharded files, and every corrupt-header case gives a clear
// error.
#include "formats/safetensors.h"

#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

// A raw file: 8-byte header length, header text, then `data_bytes` zero bytes.
std::string raw_file(const std::string& header, size_t data_bytes, int64_t declared_len = -1) {
  std::string out(8, '\0');
  uint64_t len = declared_len >= 0 ? static_cast<uint64_t>(declared_len) : header.size();
  std::memcpy(out.data(), &len, 8);
  return out + header + std::string(data_bytes, '\0');
}

Status open_raw(const std::string& contents) {
  testing::TempDir dir;
  return SafetensorsFile::open(dir.write("m.safetensors", contents)).status();
}

TEST(SafetensorsTest, ReadsTensorsAndMetadata) {
  testing::TempDir dir;
  std::string path = dir.path() + "/m.safetensors";
  std::vector<uint8_t> a(6 * 4, 1), b(3 * 2, 2);
  testing::write_safetensors(path, {{"a", {"F32", {2, 3}, a}}, {"b", {"BF16", {3}, b}}});
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_EQ(f->tensors().size(), 2u);
  const StTensorInfo* t = f->find("a");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f->data(*t).size(), 24u);
  EXPECT_EQ(f->find("b")->dtype, StDType::kBf16);
  EXPECT_EQ(f->metadata().at("format"), "pt");
}

TEST(SafetensorsTest, CorruptHeaders) {
  struct Case {
    std::string name, contents, expect;
  };

  std::vector<Case> cases = {
      {"too short", "abc", "too short"},
      {"huge header", raw_file("{}", 0, int64_t{1} << 40), "header size"},
      {"header past end", raw_file("{}", 0, 100), "header size"},
      {"not json", raw_file("{nope", 0), "malformed JSON"},
      {"not object", raw_file("[1]", 0), "not a JSON object"},
      {"bad dtype", raw_file(R"({"t":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", 1),
       "'F8'"},
      {"missing shape", raw_file(R"({"t":{"dtype":"F32","data_offsets":[0,4]}})", 4), ".shape"},
      {"size mismatch", raw_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4),
       "need 8 bytes"},
      {"reversed offsets", raw_file(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", 4),
       "begin <= end"},
      {"gap", raw_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "gap"},
      {"overlap",
       raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                8),
       "overlaps"},
      {"truncated data", raw_file(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 10),
       "truncated"},
      {"negative dim", raw_file(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0),
       "negative or overflows"},
  };
  for (const Case& c : cases) {
    Status st = open_raw(c.contents);
    EXPECT_FALSE(st.ok()) << c.name;
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << c.name << ": " << st.message();
  }
}

TEST(SafetensorsTest, ShardedModelResolvesEveryTensor) {
  testing::TempDir dir;
  testing::TinyModelOptions o;
  o.sharded = true;
  testing::TinyModel m = testing::write_tiny_model(dir.path(), o);
  auto model = SafetensorsModel::open(m.hf_dir);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->entries().size(), m.hf_weights.size());
  EXPECT_NE(model->find("model.layers.1.mlp.up_proj.weight"), nullptr);
}

TEST(SafetensorsTest, IndexNamingWrongShardIsAnError) {
  testing::TempDir dir;
  testing::TinyModelOptions o;
  o.sharded = true;
  testing::TinyModel m = testing::write_tiny_model(dir.path(), o);
  std::string index_path = m.hf_dir + "/model.safetensors.index.json";
  std::ifstream in(index_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Point one tensor at a shard that does not contain it.
  std::string key = "\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\"";
  size_t pos = text.find(key);
  ASSERT_NE(pos, std::string::npos) << text.substr(0, 300);
  text.replace(pos, key.size(),
               "\"model.embed_tokens.weight\": \"model-00002-of-00002.safetensors\"");
  std::ofstream(index_path) << text;
  Status st = SafetensorsModel::open(m.hf_dir).status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("model.embed_tokens.weight"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace hkv::model
