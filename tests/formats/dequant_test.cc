// Dequantization against gguf-py goldens (tools/reference/make_dequant_goldens.py): random blocks
// of every supported type, and every Q4_1 / Q8_0 / F32 tensor of SmolLM2-135M-Instruct.
#include "formats/dequant.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "formats/gguf.h"
#include "tests/testing/data.h"

namespace hkv::model {
namespace {

std::string fnv1a64(const float* values, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(values);
  for (size_t i = 0; i < n * sizeof(float); ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

Json load_golden() {
  auto golden = read_json_file(testing::golden_path("dequant.json"));
  EXPECT_TRUE(golden.ok()) << golden.status().to_string();
  return golden.ok() ? *golden : Json();
}

uint32_t type_id_by_name(const std::string& name) {
  for (uint32_t id = 0; id < 64; ++id) {
    auto info = ggml_type_info(id);
    if (info.ok() && name == info->name) {
      return id;
    }
  }
  ADD_FAILURE() << "unknown type " << name;
  return 0;
}

TEST(DequantTest, RandomBlocksMatchGgufPy) {
  Json golden = load_golden();
  ASSERT_TRUE(golden.contains("blocks"));
  for (const Json& c : golden["blocks"]) {
    std::string type = c["type"];
    auto info = ggml_type_info(type_id_by_name(type));
    ASSERT_TRUE(info.ok());
    std::vector<uint8_t> raw = from_hex(c["hex"]);
    int64_t n = c["num_elements"];
    std::vector<float> out(n);
    ASSERT_TRUE(dequantize(*info, raw, n, out.data()).ok()) << type;
    for (size_t i = 0; i < c["first"].size(); ++i) {
      EXPECT_EQ(out[i], c["first"][i].get<float>()) << type << " element " << i;
    }
    EXPECT_EQ(fnv1a64(out.data(), out.size()), c["fnv1a64"].get<std::string>()) << type;
  }
}

TEST(DequantTest, SizeMismatchAndUnknownTypesAreErrors) {
  auto q4 = ggml_type_info(static_cast<uint32_t>(GgmlType::kQ4_1));
  ASSERT_TRUE(q4.ok());
  std::vector<uint8_t> raw(19);
  std::vector<float> out(32);
  Status st = dequantize(*q4, raw, 32, out.data());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("19 bytes"), std::string::npos) << st.message();
  EXPECT_FALSE(ggml_tensor_bytes(*q4, 33).ok());
  auto unknown = ggml_type_info(10);  // Q2_K
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(unknown.status().message().find("id 10"), std::string::npos);
}

TEST(DequantTest, SmolLm2TensorsMatchGgufPy) {
  std::string path = testing::default_model_file();
  HKV_SKIP_UNLESS_EXISTS(path, "run scripts/fetch-assets.sh");
  auto gguf = GgufFile::open(path);
  ASSERT_TRUE(gguf.ok()) << gguf.status().to_string();
  Json golden = load_golden();
  size_t checked = 0;
  for (const Json& g : golden["smollm2"]) {
    const GgufTensorInfo* info = gguf->find_tensor(g["name"].get<std::string>());
    ASSERT_NE(info, nullptr) << g["name"];
    EXPECT_EQ(std::string(info->type.name), g["type"].get<std::string>());
    std::vector<float> out(info->num_elements);
    ASSERT_TRUE(dequantize(info->type, gguf->tensor_data(*info), out.size(), out.data()).ok());
    size_t hashed = g["hashed_elements"];
    ASSERT_EQ(fnv1a64(out.data(), hashed), g["fnv1a64"].get<std::string>()) << info->name;
    ++checked;
  }
  EXPECT_EQ(checked, 272u);
}

}  // namespace
}  // namespace hkv::model
