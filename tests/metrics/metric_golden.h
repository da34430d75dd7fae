// The metric tests' shared golden file (tests/golden/metrics.json, written by
// tools/reference/make_metric_goldens.py) and the checks both metric test files use.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/testing/data.h"

namespace hkv::jobs::metric_testing {

inline const Result<Json>& golden() {
  static const Result<Json> kGolden = read_json_file(hkv::testing::golden_path("metrics.json"));
  return kGolden;
}

// golden()[path...] as a JSON node; the test fails (and returns an empty node) when missing.
inline const Json& section(std::initializer_list<const char*> path) {
  static const Json kEmpty = Json::array();
  const Json* node = &golden().value();
  for (const char* key : path) {
    if (!node->contains(key)) {
      ADD_FAILURE() << "metrics.json has no section '" << key << "'";
      return kEmpty;
    }
    node = &(*node)[key];
  }
  EXPECT_TRUE(node->is_array() || node->is_object());
  return *node;
}

inline std::string quoted(const std::string& s) {
  return dump_json(Json(s.size() > 120 ? s.substr(0, 120) + "..." : s));
}

inline std::vector<std::string> strings(const Json& array) {
  return array.get<std::vector<std::string>>();
}

// Within 1e-9, and bit-exact: both are reported with the metric, index and inputs.
inline void expect_value(
    const char* metric, size_t index, double actual, double expected, const std::string& inputs) {
  EXPECT_NEAR(actual, expected, 1e-9) << metric << "[" << index << "] " << inputs;
  EXPECT_EQ(actual, expected) << metric << "[" << index << "] not bit-exact: " << inputs;
}

inline std::string pair_inputs(const Json& c, const char* a = "pred", const char* b = "gt") {
  return std::string(a) + "=" + quoted(c[a]) + " " + b + "=" + quoted(c[b]);
}

class MetricGolden : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(golden().ok()) << golden().status().to_string(); }
};

}  // namespace hkv::jobs::metric_testing
