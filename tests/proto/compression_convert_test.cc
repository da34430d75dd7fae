// The wire converter: configs round-trip, and a name or enum value this build does not know is
// InvalidArgument naming the field (it used to become a default: LongBench, maxpool, reference).
#include "proto/compression_convert.h"

#include <gtest/gtest.h>

namespace hkv::proto {
namespace {

TEST(CompressionConvertTest, ConfigsRoundTrip) {
  compression::CompressionConfig c;
  c.method = compression::Method::kHeadKvR2;
  c.budget = 256;
  c.beta = 1.2;
  c.temp = 0.5;
  c.window = 16;
  c.kernel = 5;
  c.pooling = compression::Pooling::kAvg;
  c.head_scores = "/scores/r2.json";
  c.layout = compression::CacheLayout::kGqa;
  v1::CompressionConfig wire;
  to_proto(c, &wire);
  EXPECT_EQ(wire.method(), "HeadKV-R2");
  EXPECT_EQ(wire.pooling(), "avgpool");
  EXPECT_EQ(wire.layout(), "gqa");
  Result<compression::CompressionConfig> back = from_proto(wire);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, c);
}

TEST(CompressionConvertTest, UnknownValuesAreInvalidArgumentNamingTheField) {
  v1::CompressionConfig wire;
  to_proto(compression::neutral_config(compression::Method::kSnapKv), &wire);
  for (auto [field, value] : {std::pair{"method", "QuantKV"}, std::pair{"pooling", "minpool"},
                              std::pair{"layout", "paged"}}) {
    v1::CompressionConfig bad = wire;
    if (std::string(field) == "method") {
      bad.set_method(value);
    } else if (std::string(field) == "pooling") {
      bad.set_pooling(value);
    } else {
      bad.set_layout(value);
    }
    Result<compression::CompressionConfig> c = from_proto(bad);
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(c.status().message().find(std::string("CompressionConfig.") + field),
              std::string::npos)
        << c.status().message();
    EXPECT_NE(c.status().message().find(value), std::string::npos) << c.status().message();
  }
  for (jobs::Benchmark b : {jobs::Benchmark::kLongBench, jobs::Benchmark::kNeedle,
                            jobs::Benchmark::kBabilong, jobs::Benchmark::kHeads}) {
    EXPECT_EQ(*from_proto(to_proto(b)), b);
  }
  Result<jobs::Benchmark> unknown = from_proto(static_cast<v1::Benchmark>(42));
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("42"), std::string::npos);
  EXPECT_FALSE(from_proto(v1::BENCHMARK_UNSPECIFIED).ok());
}

}  // namespace
}  // namespace hkv::proto
