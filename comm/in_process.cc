// The in-process group: ranks meet at a generation-counted rendezvous, read every rank's buffer
// while all of them wait, then write their own result and meet again.
#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "comm/communicator.h"
#include "common/strings.h"

namespace hkv::comm {
namespace {

struct Shared {
  explicit Shared(int n, std::chrono::milliseconds t) : size(n), timeout(t), in(n), len(n, 0) {}

  const int size;
  const std::chrono::milliseconds timeout;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  int64_t generation = 0;
  std::vector<bool> here = std::vector<bool>(size, false);
  std::vector<const float*> in;  // each rank's input of the collective being gathered
  std::vector<size_t> len;
  // The inputs of the last completed rendezvous: every rank copies them before it can start the
  // next one, so a fast rank's next call never changes what a slow rank still reads.
  std::vector<const float*> published;
  std::vector<size_t> published_len;
  std::string aborted;  // why the group was aborted; empty while it works
};

class InProcess final : public Communicator {
 public:
  InProcess(std::shared_ptr<Shared> shared, int rank) : s_(std::move(shared)), rank_(rank) {}

  int rank() const override { return rank_; }

  int size() const override { return s_->size; }

  Status all_reduce_sum(std::span<float> data) override {
    std::vector<const float*> in;
    HKV_RETURN_IF_ERROR(meet(data.data(), data.size(), "all_reduce_sum", &in));
    std::vector<float> sum(data.size(), 0.0f);
    for (int r = 0; r < s_->size; ++r) {
      const float* src = in[r];
      for (size_t i = 0; i < sum.size(); ++i) {
        sum[i] += src[i];
      }
    }
    // Nobody writes until everyone has read.
    HKV_RETURN_IF_ERROR(meet(nullptr, 0, "all_reduce_sum (write)", nullptr));
    std::copy(sum.begin(), sum.end(), data.begin());
    return Status();
  }

  Status all_gather(std::span<const float> in, std::span<float> out) override {
    if (out.size() != in.size() * static_cast<size_t>(s_->size)) {
      return errorf(StatusCode::kInvalidArgument,
                    "all_gather on rank %d: output of %zu floats, expected %d ranks x %zu", rank_,
                    out.size(), s_->size, in.size());
    }
    std::vector<const float*> ptrs;
    HKV_RETURN_IF_ERROR(meet(in.data(), in.size(), "all_gather", &ptrs));
    for (int r = 0; r < s_->size; ++r) {
      std::copy(ptrs[r], ptrs[r] + in.size(), out.begin() + r * in.size());
    }
    // Inputs stay untouched until every rank has copied them.
    return meet(nullptr, 0, "all_gather (done)", nullptr);
  }

  Status barrier() override { return meet(nullptr, 0, "barrier", nullptr); }

  void abort(const std::string& why) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (s_->aborted.empty()) {
      s_->aborted = strformat("rank %d aborted the group: %s", rank_, why.c_str());
    }
    s_->cv.notify_all();
  }

 private:
  // Posts (ptr, len) and waits for every rank of this generation. A length that differs from
  // another rank's fails on every rank.
  Status meet(const float* ptr, size_t len, const char* what, std::vector<const float*>* inputs) {
    std::unique_lock<std::mutex> lock(s_->mu);
    if (!s_->aborted.empty()) {
      return errorf(StatusCode::kAborted, "%s on rank %d: %s", what, rank_, s_->aborted.c_str());
    }
    const int64_t gen = s_->generation;
    s_->in[rank_] = ptr;
    s_->len[rank_] = len;
    s_->here[rank_] = true;
    if (++s_->arrived == s_->size) {
      s_->published = s_->in;
      s_->published_len = s_->len;
      s_->arrived = 0;
      std::fill(s_->here.begin(), s_->here.end(), false);
      ++s_->generation;
      s_->cv.notify_all();
    } else if (!s_->cv.wait_for(lock, s_->timeout,
                                [&] { return s_->generation != gen || !s_->aborted.empty(); })) {
      std::string missing;
      for (int r = 0; r < s_->size; ++r) {
        if (!s_->here[r]) {
          missing += (missing.empty() ? "" : ", ") + std::to_string(r);
        }
      }
      return errorf(StatusCode::kDeadlineExceeded,
                    "%s on rank %d: ranks %s did not arrive within %lld ms", what, rank_,
                    missing.c_str(), static_cast<long long>(s_->timeout.count()));
    } else if (s_->generation == gen) {
      return errorf(StatusCode::kAborted, "%s on rank %d: %s", what, rank_, s_->aborted.c_str());
    }
    for (int r = 0; r < s_->size; ++r) {
      if (s_->published_len[r] != len) {
        return errorf(StatusCode::kInvalidArgument,
                      "%s on rank %d: %zu floats here, %zu on rank %d; every rank must pass the "
                      "same length",
                      what, rank_, len, s_->published_len[r], r);
      }
    }
    if (inputs != nullptr) {
      *inputs = s_->published;
    }
    return Status();
  }

  std::shared_ptr<Shared> s_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> make_in_process_group(
    int size, std::chrono::milliseconds timeout) {
  auto shared = std::make_shared<Shared>(std::max(1, size), timeout);
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < shared->size; ++r) {
    out.push_back(std::make_unique<InProcess>(shared, r));
  }
  return out;
}

}  // namespace hkv::comm
