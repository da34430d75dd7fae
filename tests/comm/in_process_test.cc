// The in-process communicator: sums and gathers over threads exactly as a sequential loop in rank
// order would, repeatedly; mismatched lengths and absent ranks fail on every rank with the reason.
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "comm/communicator.h"

namespace hkv::comm {
namespace {

// Runs `body(rank)` on one thread per rank and returns their statuses.
template <typename Body>
std::vector<Status> on_every_rank(int n, Body body) {
  std::vector<Status> out(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] { out[r] = body(r); });
  }
  for (auto& t : threads) {
    t.join();
  }
  return out;
}

TEST(InProcessCommTest, AllReduceAndAllGatherMatchASequentialLoop) {
  for (int n : {1, 2, 4}) {
    auto group = make_in_process_group(n);
    ASSERT_EQ(group.size(), static_cast<size_t>(n));
    std::mt19937 rng(n);
    std::normal_distribution<float> dist;
    const size_t len = 1000;
    std::vector<std::vector<float>> data(n, std::vector<float>(len));
    for (auto& v : data) {
      for (float& x : v) {
        x = dist(rng);
      }
    }
    std::vector<float> want(len, 0.0f);
    for (int r = 0; r < n; ++r) {
      for (size_t i = 0; i < len; ++i) {
        want[i] += data[r][i];
      }
    }
    std::vector<std::vector<float>> gathered(n, std::vector<float>(len * n));
    const std::vector<std::vector<float>> original = data;
    auto st = on_every_rank(n, [&](int r) -> Status {
      EXPECT_EQ(group[r]->rank(), r);
      EXPECT_EQ(group[r]->size(), n);
      HKV_RETURN_IF_ERROR(group[r]->all_gather(original[r], gathered[r]));
      for (int k = 0; k < 50; ++k) {  // the rendezvous is reused
        HKV_RETURN_IF_ERROR(group[r]->barrier());
      }
      return group[r]->all_reduce_sum(data[r]);
    });
    for (int r = 0; r < n; ++r) {
      ASSERT_TRUE(st[r].ok()) << st[r].to_string();
      EXPECT_EQ(data[r], want) << "rank " << r;  // bit-identical on every rank
      for (int q = 0; q < n; ++q) {
        EXPECT_TRUE(std::equal(original[q].begin(), original[q].end(),
                               gathered[r].begin() + static_cast<long>(q * len)));
      }
    }
  }
}

TEST(InProcessCommTest, MismatchedLengthsFailOnEveryRank) {
  auto group = make_in_process_group(2);
  std::vector<std::vector<float>> data = {std::vector<float>(4), std::vector<float>(5)};
  auto st = on_every_rank(2, [&](int r) { return group[r]->all_reduce_sum(data[r]); });
  for (const Status& s : st) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("same length"), std::string::npos) << s.to_string();
  }
  std::vector<float> out(3);
  EXPECT_EQ(group[0]->all_gather(data[0], out).code(), StatusCode::kInvalidArgument);
}

TEST(InProcessCommTest, AnAbsentRankIsADeadlineNamingIt) {
  auto group = make_in_process_group(3, std::chrono::milliseconds(100));
  auto st = on_every_rank(2, [&](int r) { return group[r]->barrier(); });
  for (const Status& s : st) {
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
    EXPECT_NE(s.message().find("ranks 2 did not arrive"), std::string::npos) << s.to_string();
  }
}

TEST(InProcessCommTest, AnAbortedGroupFailsWaitingAndLaterCollectivesAtOnce) {
  auto group = make_in_process_group(3, std::chrono::minutes(5));
  const auto start = std::chrono::steady_clock::now();
  auto st = on_every_rank(3, [&](int r) -> Status {
    if (r == 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the others are waiting
      group[2]->abort("prefill failed");
      return Status();
    }
    std::vector<float> data(8, 1.0f);
    return group[r]->all_reduce_sum(data);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(st[r].code(), StatusCode::kAborted) << st[r].to_string();
    EXPECT_NE(st[r].message().find("rank 2 aborted the group: prefill failed"), std::string::npos)
        << st[r].to_string();
  }
  EXPECT_EQ(group[0]->barrier().code(), StatusCode::kAborted);
}

}  // namespace
}  // namespace hkv::comm
