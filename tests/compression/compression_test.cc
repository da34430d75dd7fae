// The compression vocabulary: one parser per name table (with the reference scripts' spellings),
// the stored JSON's exact bytes, validation, and the keep rule both compressors call.
#include <gtest/gtest.h>

#include "compression/config.h"
#include "compression/config_json.h"
#include "compression/keep_policy.h"
#include "compression/method.h"

namespace hkv::compression {
namespace {

TEST(CompressionMethodTest, ParsesPaperReferenceAndShortNames) {
  const std::pair<const char*, Method> cases[] = {
      {"FullKV", Method::kFullKv},       {"full", Method::kFullKv},
      {"snapkv", Method::kSnapKv},       {"Pyramid_KV", Method::kPyramidKv},
      {"AdativeKV", Method::kAdaSnapKv}, {"ada-snapkv", Method::kAdaSnapKv},
      {"adakv", Method::kAdaSnapKv},     {"HeadKV-R", Method::kHeadKvR},
      {"headkv r2", Method::kHeadKvR2},  {"HEADKV_R2", Method::kHeadKvR2}};
  for (const auto& [name, method] : cases) {
    Result<Method> m = parse_method(name);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status().to_string();
    EXPECT_EQ(*m, method) << name;
    EXPECT_EQ(*parse_method(method_name(method)), method);  // names round-trip
  }
  Result<Method> bad = parse_method("StreamingLLM");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'StreamingLLM'"), std::string::npos);
  EXPECT_EQ(*parse_reasonkv_head_choice("copy"), Method::kHeadKvR);
  EXPECT_EQ(*parse_reasonkv_head_choice("reason"), Method::kHeadKvR2);
  EXPECT_EQ(parse_reasonkv_head_choice("mix").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(score_reduce_for(Method::kSnapKv), ScoreReduce::kSum);
  EXPECT_EQ(score_reduce_for(Method::kPyramidKv), ScoreReduce::kSum);
  EXPECT_EQ(score_reduce_for(Method::kAdaSnapKv), ScoreReduce::kMean);
  EXPECT_EQ(score_reduce_for(Method::kHeadKvR2), ScoreReduce::kMean);
  EXPECT_EQ(*parse_pooling("avgpool"), Pooling::kAvg);
  EXPECT_EQ(parse_pooling("avg").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*parse_cache_layout("gqa"), CacheLayout::kGqa);
  EXPECT_EQ(parse_cache_layout("GQA").status().code(), StatusCode::kInvalidArgument);
}

// The coordinator's databases hold these bytes: they must never change.
TEST(CompressionJsonTest, StoredFormIsByteStable) {
  EXPECT_EQ(dump_json(config_to_json(neutral_config(Method::kFullKv))),
            R"({"beta":0.0,"budget":0,"head_scores":"","kernel":7,"layout":"reference",)"
            R"("method":"FullKV","pooling":"maxpool","temp":0.0,"window":8})");
  CompressionConfig h;
  h.method = Method::kHeadKvR2;
  h.budget = 128;
  h.beta = 1.01;
  h.temp = 1.0;
  h.pooling = Pooling::kAvg;
  h.head_scores = "reasoning";
  h.layout = CacheLayout::kGqa;
  const std::string text = dump_json(config_to_json(h));
  EXPECT_EQ(text,
            R"({"beta":1.01,"budget":128,"head_scores":"reasoning","kernel":7,"layout":"gqa",)"
            R"("method":"HeadKV-R2","pooling":"avgpool","temp":1.0,"window":8})");
  Result<CompressionConfig> back = config_from_json(*parse_json(text, "t"));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, h);
}

TEST(CompressionJsonTest, UnknownNamesAreRefusedNamingTheField) {
  Json j = config_to_json(neutral_config(Method::kSnapKv));
  j["method"] = "snapkv";  // stored configs use canonical names only
  EXPECT_NE(config_from_json(j).status().message().find("config.method"), std::string::npos);
  j = config_to_json(neutral_config(Method::kSnapKv));
  j["pooling"] = "minpool";
  EXPECT_NE(config_from_json(j).status().message().find("config.pooling"), std::string::npos);
  j = config_to_json(neutral_config(Method::kSnapKv));
  j["layout"] = "paged";
  EXPECT_NE(config_from_json(j).status().message().find("config.layout"), std::string::npos);
}

TEST(CompressionConfigTest, ValidationAndLabels) {
  CompressionConfig c;
  c.method = Method::kSnapKv;
  c.budget = 8;
  EXPECT_NE(c.validate().message().find("budget = 8 must exceed the window = 8"),
            std::string::npos);
  c.budget = 64;
  EXPECT_TRUE(c.validate().ok());
  EXPECT_EQ(c.label(), "SnapKV B=64 reference");
  c.method = Method::kHeadKvR;
  EXPECT_NE(c.validate().message().find("needs head scores"), std::string::npos);
  c.head_scores = "retrieval";
  c.temp = 2.0;
  EXPECT_EQ(c.label(), "HeadKV-R B=64 beta=1.01 temp=2 reference");
  EXPECT_EQ(neutral_config(Method::kFullKv).label(), "FullKV");
  EXPECT_EQ(neutral_config(Method::kFullKv).storage_layout(), CacheLayout::kGqa);
}

TEST(KeepPolicyTest, ThresholdsCountsAndClamps) {
  CompressionConfig snap;
  snap.method = Method::kSnapKv;
  snap.budget = 64;
  EXPECT_EQ(layer_threshold(snap, 3, 30, 1000), 64);
  EXPECT_FALSE(compresses(snap, 64, 63));  // a prompt shorter than the budget keeps everything
  EXPECT_TRUE(compresses(snap, 64, 64));
  EXPECT_FALSE(compresses(neutral_config(Method::kFullKv), 0, 1000));
  auto never = []() -> std::vector<int32_t> {
    ADD_FAILURE() << "only Ada-SnapKV asks for its counts";
    return {};
  };
  EXPECT_EQ(keep_counts(snap, 64, 3, 1000, {}, never), (std::vector<int32_t>{56, 56, 56}));
  CompressionConfig pyramid = snap;
  pyramid.method = Method::kPyramidKv;
  const std::vector<int32_t> budgets = pyramid_layer_budgets(64, 8, 4, 1000);
  for (int32_t l = 0; l < 4; ++l) {
    EXPECT_EQ(layer_threshold(pyramid, l, 4, 1000), budgets[l]);
  }
  EXPECT_GT(budgets.front(), budgets.back());  // the pyramid: more at the bottom
  CompressionConfig ada = snap;
  ada.method = Method::kAdaSnapKv;
  EXPECT_EQ(keep_counts(ada, 64, 2, 20, {},
                        [] {
                          return std::vector<int32_t>{30, -1};
                        }),
            (std::vector<int32_t>{12, 0}));  // clamped to [0, n = 20 - 8]
  CompressionConfig head = snap;
  head.method = Method::kHeadKvR;
  const std::vector<int32_t> caps = {5, 100};
  EXPECT_EQ(keep_counts(head, 64, 2, 50, caps, never), (std::vector<int32_t>{5, 42}));
}

}  // namespace
}  // namespace hkv::compression
