// Host references for the per-head KV cache path: kv_gather, kv_append and decode attention over
// the flattened varlen layout. Declared in reference_ops.h.
#include <algorithm>
#include <cmath>

#include "common/logging.h"
#include "kernels/reference/reference_ops.h"

namespace hkv::kernels::reference {
namespace {

void check_layout(const KvLayout& l, size_t k_size, size_t v_size, const char* op) {
  HKV_CHECK(!l.cu_capacity.empty() && l.head_dim > 0 && l.segments_per_kv_head > 0)
      << "reference::" << op << ": empty layout";
  const size_t want = static_cast<size_t>(l.cu_capacity.back()) * l.head_dim;
  HKV_CHECK(k_size == want && v_size == want) << "reference::" << op << ": cache sizes " << k_size
                                              << "/" << v_size << ", expected " << want;
}

}  // namespace

bool kv_gather(const std::vector<float>& k_src,
               const std::vector<float>& v_src,
               int64_t num_tokens,
               const std::vector<int32_t>& kept,
               const std::vector<int32_t>& cu_kept,
               int64_t tail_start,
               int32_t num_tail_rows,
               const KvLayout& layout,
               std::vector<float>* k_out,
               std::vector<float>* v_out,
               std::vector<int32_t>* kv_lens) {
  check_layout(layout, k_out->size(), v_out->size(), "kv_gather");
  const int32_t num_segments = static_cast<int32_t>(layout.cu_capacity.size()) - 1;
  HKV_CHECK(cu_kept.size() == layout.cu_capacity.size() &&
            static_cast<size_t>(cu_kept.back()) == kept.size() && k_src.size() == v_src.size())
      << "reference::kv_gather: cu_kept " << cu_kept.size() << " kept " << kept.size();
  const int64_t d = layout.head_dim;
  kv_lens->assign(num_segments, 0);
  bool error = false;
  for (int32_t s = 0; s < num_segments; ++s) {
    const int32_t num_kept = cu_kept[s + 1] - cu_kept[s];
    const int32_t rows = num_kept + num_tail_rows;
    const int32_t capacity = layout.cu_capacity[s + 1] - layout.cu_capacity[s];
    error = error || rows > capacity;
    (*kv_lens)[s] = std::min(rows, capacity);
    const int64_t head = s / layout.segments_per_kv_head;
    for (int32_t r = 0; r < std::min(rows, capacity); ++r) {
      const int64_t pos = r < num_kept ? kept[cu_kept[s] + r] : tail_start + (r - num_kept);
      if (pos < 0 || pos >= num_tokens) {
        error = true;
        continue;
      }
      const int64_t src = (head * num_tokens + pos) * d;
      const int64_t dst = (static_cast<int64_t>(layout.cu_capacity[s]) + r) * d;
      std::copy(k_src.begin() + src, k_src.begin() + src + d, k_out->begin() + dst);
      std::copy(v_src.begin() + src, v_src.begin() + src + d, v_out->begin() + dst);
    }
  }
  return error;
}

bool kv_append(const std::vector<float>& k_new,
               const std::vector<float>& v_new,
               const KvLayout& layout,
               std::vector<float>* k_cache,
               std::vector<float>* v_cache,
               std::vector<int32_t>* kv_lens) {
  check_layout(layout, k_cache->size(), v_cache->size(), "kv_append");
  const int32_t num_segments = static_cast<int32_t>(layout.cu_capacity.size()) - 1;
  HKV_CHECK(kv_lens->size() == static_cast<size_t>(num_segments))
      << "reference::kv_append: " << kv_lens->size() << " lens for " << num_segments << " segments";
  const int64_t d = layout.head_dim;
  bool error = false;
  for (int32_t s = 0; s < num_segments; ++s) {
    const int32_t len = (*kv_lens)[s];
    if (len < 0 || len >= layout.cu_capacity[s + 1] - layout.cu_capacity[s]) {
      error = true;
      continue;
    }
    const int64_t src = static_cast<int64_t>(s / layout.segments_per_kv_head) * d;
    HKV_CHECK(static_cast<size_t>(src + d) <= k_new.size() && k_new.size() == v_new.size())
        << "reference::kv_append: new rows too short for segment " << s;
    const int64_t dst = (static_cast<int64_t>(layout.cu_capacity[s]) + len) * d;
    std::copy(k_new.begin() + src, k_new.begin() + src + d, k_cache->begin() + dst);
    std::copy(v_new.begin() + src, v_new.begin() + src + d, v_cache->begin() + dst);
    (*kv_lens)[s] = len + 1;
  }
  return error;
}

std::vector<float> attention_decode(const std::vector<float>& q,
                                    const std::vector<float>& k,
                                    const std::vector<float>& v,
                                    const std::vector<int32_t>& cu_capacity,
                                    const std::vector<int32_t>& kv_lens,
                                    int32_t queries_per_segment,
                                    int32_t head_dim,
                                    float softmax_scale,
                                    DType dtype) {
  const int64_t num_queries = static_cast<int64_t>(q.size()) / head_dim;
  const int64_t num_segments = static_cast<int64_t>(cu_capacity.size()) - 1;
  HKV_CHECK(num_segments * queries_per_segment == num_queries &&
            (kv_lens.empty() || kv_lens.size() == static_cast<size_t>(num_segments)) &&
            k.size() == static_cast<size_t>(cu_capacity.back()) * head_dim && v.size() == k.size())
      << "reference::attention_decode: " << num_queries << " queries, " << num_segments
      << " segments x " << queries_per_segment << ", k " << k.size();
  std::vector<float> out(q.size(), 0.0f);
  std::vector<double> scores;
  std::vector<double> acc(head_dim);
  for (int64_t qi = 0; qi < num_queries; ++qi) {
    const int64_t s = qi / queries_per_segment;
    const int64_t start = cu_capacity[s];
    const int64_t len = kv_lens.empty() ? cu_capacity[s + 1] - start : kv_lens[s];
    if (len <= 0) {
      continue;
    }
    const float* qrow = q.data() + qi * head_dim;
    scores.assign(len, 0.0);
    double m = -INFINITY;
    for (int64_t r = 0; r < len; ++r) {
      const float* krow = k.data() + (start + r) * head_dim;
      double dot = 0.0;
      for (int32_t d = 0; d < head_dim; ++d) {
        dot += static_cast<double>(qrow[d]) * krow[d];
      }
      scores[r] = dot * softmax_scale;
      m = std::max(m, scores[r]);
    }
    double l = 0.0;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t r = 0; r < len; ++r) {
      const double p = std::exp(scores[r] - m);
      l += p;
      const float* vrow = v.data() + (start + r) * head_dim;
      for (int32_t d = 0; d < head_dim; ++d) {
        acc[d] += p * vrow[d];
      }
    }
    for (int32_t d = 0; d < head_dim; ++d) {
      out[qi * head_dim + d] = round_to(static_cast<float>(acc[d] / l), dtype);
    }
  }
  return out;
}

bool segment_capacity(const std::vector<int32_t>& base_rows,
                      const std::vector<int32_t>& count_index,
                      const std::vector<int32_t>& count_max,
                      const std::vector<int32_t>& counts,
                      int64_t max_rows,
                      std::vector<int32_t>* cu_capacity,
                      std::vector<int32_t>* kept_lens) {
  cu_capacity->assign(1, 0);
  bool cut = false;
  int64_t sum = 0;
  for (size_t t = 0; t < base_rows.size(); ++t) {
    int64_t rows = base_rows[t];
    if (count_index[t] >= 0) {
      const int32_t k = std::clamp(counts[count_index[t]], 0, count_max[t]);
      (*kept_lens)[count_index[t]] = k;
      rows += k;
    }
    sum += rows;
    if (sum > max_rows) {
      sum = max_rows;
      cut = true;
    }
    cu_capacity->push_back(static_cast<int32_t>(sum));
  }
  return cut;
}

}  // namespace hkv::kernels::reference
