// JSON helpers: parse errors, typed access with path-aware messages, no exceptions escaping.
#include "common/json.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace hkv {
namespace {

Json parse_ok(std::string_view text) {
  auto j = parse_json(text, "test");
  EXPECT_TRUE(j.ok()) << j.status().to_string();
  return j.ok() ? *j : Json();
}

TEST(JsonTest, ParseErrorNamesSourceAndPosition) {
  auto j = parse_json("{\"a\": [1, 2,}", "config.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(j.status().message().find("config.json: malformed JSON"), std::string::npos);
  EXPECT_NE(j.status().message().find("column"), std::string::npos) << j.status().message();
}

TEST(JsonTest, EmptyAndTrailingGarbageAreErrors) {
  EXPECT_FALSE(parse_json("", "x").ok());
  EXPECT_FALSE(parse_json("{} extra", "x").ok());
}

TEST(JsonTest, TypedGetters) {
  Json j = parse_ok(R"({"hidden_size": 576, "rope_theta": 100000.0, "name": "smol",
                        "tie": true, "eps": 1e-5, "big": 18446744073709551615, "neg": -3})");
  JsonRef root(j, "config.json");
  EXPECT_EQ(*root.get<int32_t>("hidden_size"), 576);
  EXPECT_DOUBLE_EQ(*root.get<double>("rope_theta"), 100000.0);
  EXPECT_DOUBLE_EQ(*root.get<double>("hidden_size"), 576.0);  // integers read as numbers
  EXPECT_EQ(*root.get<std::string>("name"), "smol");
  EXPECT_TRUE(*root.get<bool>("tie"));
  EXPECT_FLOAT_EQ(*root.get<float>("eps"), 1e-5f);
  EXPECT_EQ(*root.get<uint64_t>("big"), UINT64_MAX);
  EXPECT_EQ(*root.get<int64_t>("neg"), -3);
}

TEST(JsonTest, WrongTypeSaysPathExpectedAndGot) {
  Json j = parse_ok(R"({"rope_scaling": {"factor": "eight"}})");
  JsonRef root(j, "config.json");
  auto scaling = root.at("rope_scaling");
  ASSERT_TRUE(scaling.ok());
  auto factor = scaling->get<double>("factor");
  ASSERT_FALSE(factor.ok());
  EXPECT_EQ(factor.status().message(),
            "config.json.rope_scaling.factor: expected number, got string");
}

TEST(JsonTest, MissingFieldIsNotFound) {
  Json j = parse_ok(R"({"a": 1})");
  JsonRef root(j, "cfg");
  auto b = root.get<int>("b");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(b.status().message(), "cfg.b: required field is missing");
}

TEST(JsonTest, GetOrFallsBackOnlyWhenAbsentOrNull) {
  Json j = parse_ok(R"({"a": null, "b": "str"})");
  JsonRef root(j, "cfg");
  EXPECT_EQ(*root.get_or<int>("a", 7), 7);
  EXPECT_EQ(*root.get_or<int>("missing", 9), 9);
  EXPECT_FALSE(root.get_or<int>("b", 1).ok());
}

TEST(JsonTest, IntegerRangeChecked) {
  Json j = parse_ok(R"({"big": 3000000000, "neg": -1, "frac": 1.5})");
  JsonRef root(j, "cfg");
  auto big = root.get<int32_t>("big");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(big.status().message().find("3000000000"), std::string::npos);
  EXPECT_FALSE(root.get<uint32_t>("neg").ok());
  EXPECT_FALSE(root.get<int32_t>("frac").ok());
  EXPECT_EQ(*root.get<int64_t>("big"), 3000000000LL);
}

TEST(JsonTest, ArraysAndIndexing) {
  Json j = parse_ok(R"({"eos": [128001, 128009], "mixed": [1, "x"]})");
  JsonRef root(j, "gen");
  auto eos = root.at("eos");
  ASSERT_TRUE(eos.ok());
  auto ids = eos->as_vector<int32_t>();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{128001, 128009}));
  EXPECT_EQ(eos->at(5).status().code(), StatusCode::kOutOfRange);
  auto mixed = root.at("mixed")->as_vector<int>();
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().message(), "gen.mixed[1]: expected integer, got string");
  EXPECT_FALSE(root.at(0).ok());  // an object is not an array
}

TEST(JsonTest, AtOnScalarIsInvalidArgument) {
  Json j = parse_ok("42");
  JsonRef root(j, "x");
  auto a = root.at("field");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(root.has("field"));
}

TEST(JsonTest, DumpNeverThrowsOnInvalidUtf8) {
  Json j = std::string("bad \xff\xfe bytes");
  std::string out = dump_json(j);
  EXPECT_NE(out.find("bad"), std::string::npos);
}

TEST(JsonTest, ReadJsonFile) {
  testing::TempDir dir;
  auto ok = read_json_file(dir.write("a.json", R"({"k": [1]})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["k"][0], 1);
  auto bad = read_json_file(dir.write("b.json", "{oops"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.json"), std::string::npos);
  EXPECT_EQ(read_json_file(dir.path() + "/none.json").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hkv
