// gemm_f32_nt against a naive triple loop, including accumulate and edge sizes.
#include "cpu_engine/cpu_blas.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "common/strings.h"

namespace hkv::model {
namespace {

void naive_nt(const std::vector<float>& a,
              const std::vector<float>& b,
              std::vector<float>& c,
              int m,
              int n,
              int k,
              bool accumulate) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double sum = accumulate ? c[i * n + j] : 0.0;
      for (int p = 0; p < k; ++p) {
        sum += static_cast<double>(a[i * k + p]) * b[j * k + p];
      }
      c[i * n + j] = static_cast<float>(sum);
    }
  }
}

class GemmTest : public ::testing::TestWithParam<std::tuple<int, int, int, bool>> {};

TEST_P(GemmTest, MatchesNaive) {
  auto [m, n, k, accumulate] = GetParam();
  std::mt19937 rng(m * 131 + n * 17 + k);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(m * k), b(n * k), c(m * n), want(m * n);
  for (auto& v : a) {
    v = dist(rng);
  }
  for (auto& v : b) {
    v = dist(rng);
  }
  for (size_t i = 0; i < c.size(); ++i) {
    c[i] = want[i] = dist(rng);
  }
  gemm_f32_nt(a.data(), b.data(), c.data(), m, n, k, accumulate);
  naive_nt(a, b, want, m, n, k, accumulate);
  for (size_t i = 0; i < c.size(); ++i) {
    ASSERT_NEAR(c[i], want[i], 1e-4f + 1e-4f * std::abs(want[i])) << "index " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes,
                         GemmTest,
                         ::testing::Values(std::make_tuple(1, 1, 1, false),
                                           std::make_tuple(1, 576, 64, false),
                                           std::make_tuple(7, 33, 129, true),
                                           std::make_tuple(64, 64, 64, false),
                                           std::make_tuple(3, 5, 0, true)),
                         [](const auto& info) {
                           const auto& p = info.param;
                           return strformat("m%d_n%d_k%d%s", std::get<0>(p), std::get<1>(p),
                                            std::get<2>(p), std::get<3>(p) ? "_acc" : "");
                         });

TEST(BlasTest, DescriptionNamesOpenBlas) {
  EXPECT_NE(blas_description().find("OpenBLAS"), std::string::npos) << blas_description();
}

}  // namespace
}  // namespace hkv::model
