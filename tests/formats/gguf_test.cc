// GGUF reader: a valid file round-trips; every kind of corruption is a clear error, never a crash.
#include "formats/gguf.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/data.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tiny_model.h"

namespace hkv::model {
namespace {

std::vector<uint8_t> f32_bytes(size_t n) {
  std::vector<uint8_t> out(n * 4);
  for (size_t i = 0; i < n; ++i) {
    float v = static_cast<float>(i);
    std::memcpy(out.data() + 4 * i, &v, 4);
  }
  return out;
}

testing::GgufWriter small_writer() {
  testing::GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 2);
  w.add_f32("llama.rope.freq_base", 500000.0f);
  w.add_bool("flag", true);
  w.add_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
  w.add_i32_array("tokenizer.ggml.token_type", {1, 3, 1});
  w.add_tensor("w", {8, 2}, 0, f32_bytes(16));
  w.add_tensor("v", {4}, 0, f32_bytes(4));
  return w;
}

Status open_bytes(const std::vector<uint8_t>& bytes, std::string* path_out = nullptr) {
  static testing::TempDir dir;
  static int counter = 0;
  std::string path =
      dir.write("f" + std::to_string(counter++) + ".gguf", std::string(bytes.begin(), bytes.end()));
  if (path_out) {
    *path_out = path;
  }
  return GgufFile::open(path).status();
}

TEST(GgufTest, ReadsMetadataAndTensors) {
  testing::TempDir dir;
  std::string path = dir.path() + "/ok.gguf";
  small_writer().write(path);
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(*f->get_string("general.architecture"), "llama");
  EXPECT_EQ(*f->get_int("llama.block_count"), 2);
  EXPECT_DOUBLE_EQ(*f->get_float("llama.rope.freq_base"), 500000.0);
  EXPECT_TRUE(*f->get_bool("flag"));
  EXPECT_EQ(**f->get_string_array("tokenizer.ggml.tokens"),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(**f->get_int_array("tokenizer.ggml.token_type"), (std::vector<int64_t>{1, 3, 1}));
  const GgufTensorInfo* w = f->find_tensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape(), (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(w->num_bytes, 64u);
  float x;
  std::memcpy(&x, f->tensor_data(*w).data() + 4 * 5, 4);
  EXPECT_EQ(x, 5.0f);
  EXPECT_EQ(f->find_tensor("missing"), nullptr);
}

TEST(GgufTest, TypedAccessErrorsNameFileAndKey) {
  testing::TempDir dir;
  std::string path = dir.path() + "/ok.gguf";
  small_writer().write(path);
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok());
  Status missing = f->get_int("llama.nope").status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("'llama.nope' is missing"), std::string::npos);
  Status wrong = f->get_int("general.architecture").status();
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("string 'llama'"), std::string::npos) << wrong.message();
  EXPECT_NE(wrong.message().find("ok.gguf"), std::string::npos);
}

TEST(GgufTest, WrongMagicAndVersion) {
  std::vector<uint8_t> bytes = small_writer().bytes();
  std::vector<uint8_t> bad = bytes;
  bad[0] = 'X';
  Status st = open_bytes(bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("bad magic"), std::string::npos);
  bad = bytes;
  bad[4] = 1;  // version 1
  st = open_bytes(bad);
  EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("version 1"), std::string::npos);
}

TEST(GgufTest, EveryTruncationIsAnError) {
  std::vector<uint8_t> bytes = small_writer().bytes();
  // The last tensor ('v', 16 bytes) is followed by 16 bytes of alignment padding, which a file
  // may omit; every cut before the end of its data must fail.
  size_t data_end = bytes.size() - 16;
  for (size_t len = 0; len < data_end; len += 7) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    Status st = open_bytes(cut);
    EXPECT_FALSE(st.ok()) << "length " << len;
  }
  EXPECT_TRUE(open_bytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + data_end)).ok());
  Status st = open_bytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + data_end - 1));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("tensor 'v'"), std::string::npos) << st.message();
}

TEST(GgufTest, HugeCountsAreRejectedBeforeAllocation) {
  std::vector<uint8_t> bytes = small_writer().bytes();
  std::vector<uint8_t> bad = bytes;
  uint64_t huge = uint64_t{1} << 60;
  std::memcpy(bad.data() + 8, &huge, 8);  // tensor count
  Status st = open_bytes(bad);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("cannot fit"), std::string::npos);
  bad = bytes;
  std::memcpy(bad.data() + 16, &huge, 8);  // metadata count
  EXPECT_EQ(open_bytes(bad).code(), StatusCode::kDataLoss);
  bad = bytes;
  std::memcpy(bad.data() + 24, &huge, 8);  // first key length
  st = open_bytes(bad);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("key length"), std::string::npos) << st.message();
}

// Finds the tensor info of `name` in the image and returns the offset of its offset field.
size_t tensor_offset_field(const std::vector<uint8_t>& bytes, const std::string& name, int n_dims) {
  std::string needle(8, '\0');
  uint64_t len = name.size();
  std::memcpy(needle.data(), &len, 8);
  needle += name;
  std::string hay(bytes.begin(), bytes.end());
  size_t pos = hay.find(needle);
  EXPECT_NE(pos, std::string::npos);
  return pos + needle.size() + 4 + 8 * n_dims + 4;
}

TEST(GgufTest, OverflowingOrMisalignedOffsets) {
  std::vector<uint8_t> bytes = small_writer().bytes();
  size_t field = tensor_offset_field(bytes, "v", 1);
  for (uint64_t off : {uint64_t{0xFFFFFFFFFFFFFFE0ull}, uint64_t{1} << 40, uint64_t{7}}) {
    std::vector<uint8_t> bad = bytes;
    std::memcpy(bad.data() + field, &off, 8);
    Status st = open_bytes(bad);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << off;
    EXPECT_NE(st.message().find("tensor 'v'"), std::string::npos) << st.message();
  }
}

TEST(GgufTest, BadTensorInfos) {
  testing::GgufWriter w;
  w.add_tensor("zero", {0, 4}, 0, {});
  EXPECT_EQ(open_bytes(w.bytes()).code(), StatusCode::kDataLoss);
  testing::GgufWriter t;
  t.add_tensor("q2k", {256}, 10, std::vector<uint8_t>(84));
  Status st = open_bytes(t.bytes());
  EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("tensor 'q2k'"), std::string::npos) << st.message();
  testing::GgufWriter d;
  d.add_tensor("same", {4}, 0, f32_bytes(4));
  d.add_tensor("same", {4}, 0, f32_bytes(4));
  EXPECT_NE(open_bytes(d.bytes()).message().find("duplicate tensor"), std::string::npos);
  testing::GgufWriter r;
  r.add_tensor("rows", {33}, 3, std::vector<uint8_t>(40));  // Q4_1 row not a multiple of 32
  EXPECT_NE(open_bytes(r.bytes()).message().find("not a multiple"), std::string::npos);
}

TEST(GgufTest, SmolLm2Header) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->tensors().size(), 272u);
  EXPECT_EQ(*f->get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ((*f->get_string_array("tokenizer.ggml.tokens"))->size(), 49152u);
  EXPECT_EQ((*f->get_string_array("tokenizer.ggml.merges"))->size(), 48900u);
}

}  // namespace
}  // namespace hkv::model
