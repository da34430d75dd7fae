// HeadKvLayer storage bookkeeping.
#include "cpu_engine/kv_cache.h"

#include <cstring>

namespace hkv::model {

HeadKvLayer::HeadKvLayer(int32_t head_dim,
                         const std::vector<int32_t>& kept_rows,
                         int32_t extra_rows)
    : head_dim_(head_dim), cu_capacity_(kept_rows.size() + 1, 0), lens_(kept_rows.size(), 0) {
  for (size_t h = 0; h < kept_rows.size(); ++h) {
    HKV_CHECK(kept_rows[h] >= 0 && extra_rows >= 0) << "negative rows for head " << h;
    cu_capacity_[h + 1] = cu_capacity_[h] + kept_rows[h] + extra_rows;
  }
  k_.resize(cu_capacity_.back() * head_dim_);
  v_.resize(cu_capacity_.back() * head_dim_);
}

Status HeadKvLayer::append(int32_t head, const float* k, const float* v) {
  int64_t capacity = cu_capacity_[head + 1] - cu_capacity_[head];
  if (lens_[head] >= capacity) {
    return errorf(StatusCode::kFailedPrecondition,
                  "KV segment of head %d is full (%lld rows); more decode steps than reserved",
                  head, static_cast<long long>(capacity));
  }
  int32_t i = lens_[head]++;
  std::memcpy(k_row(head, i), k, sizeof(float) * head_dim_);
  std::memcpy(v_row(head, i), v, sizeof(float) * head_dim_);
  return Status();
}

std::vector<int32_t> HeadKvLayer::cu_kv_lens() const {
  std::vector<int32_t> cu(lens_.size() + 1, 0);
  for (size_t h = 0; h < lens_.size(); ++h) {
    cu[h + 1] = cu[h] + lens_[h];
  }
  return cu;
}

int64_t HeadKvLayer::entries() const {
  int64_t n = 0;
  for (int32_t l : lens_) {
    n += l;
  }
  return n;
}

int64_t HeadKvCache::entries() const {
  int64_t n = 0;
  for (const HeadKvLayer& layer : layers) {
    n += layer.entries();
  }
  return n;
}

int64_t HeadKvCache::bytes(int bytes_per_element) const {
  int64_t total = 0;
  for (const HeadKvLayer& layer : layers) {
    total += layer.entries() * layer.head_dim() * 2 * bytes_per_element;
  }
  return total;
}

}  // namespace hkv::model
