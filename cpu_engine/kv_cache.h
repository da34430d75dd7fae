// The compacted per-head KV cache: per layer, one flattened K and one V buffer, each head owning a
// contiguous segment [cu_capacity[h], cu_capacity[h+1]) of rows, of which the first lens[h] are
// used. Decode appends one row per head in place (segments are sized with room for the new
// tokens up front), so a step never copies the cache.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "compression/method.h"

namespace hkv::model {

using compression::cache_layout_name;
using compression::CacheLayout;  // reference: a segment per query head; gqa: per KV head

class HeadKvLayer {
 public:
  // `kept_rows[h]` = row count head h starts with; `extra_rows` = room reserved per head for
  // decode appends.
  HeadKvLayer(int32_t head_dim, const std::vector<int32_t>& kept_rows, int32_t extra_rows);

  int32_t num_heads() const { return static_cast<int32_t>(lens_.size()); }

  int32_t head_dim() const { return head_dim_; }

  int32_t len(int32_t head) const { return lens_[head]; }

  const std::vector<int32_t>& lens() const { return lens_; }

  // Row pointers into head `head`'s segment.
  float* k_row(int32_t head, int32_t i) { return k_.data() + (cu_capacity_[head] + i) * head_dim_; }

  float* v_row(int32_t head, int32_t i) { return v_.data() + (cu_capacity_[head] + i) * head_dim_; }

  const float* k_head(int32_t head) const {
    return k_.data() + cu_capacity_[head] * head_dim_;
  }  // [len, head_dim]

  const float* v_head(int32_t head) const {
    return v_.data() + cu_capacity_[head] * head_dim_;
  }  // [len, head_dim]

  // Writes the next row of `head` (prefill fill-up and decode appends). FailedPrecondition when
  // the head's segment is full.
  Status append(int32_t head,
                const float* k,   // [head_dim]
                const float* v);  // [head_dim]

  // Exclusive prefix sum of lens, length num_heads + 1 (flash-attn cu_seqlens convention).
  std::vector<int32_t> cu_kv_lens() const;
  int64_t entries() const;

 private:
  int32_t head_dim_;
  std::vector<int64_t> cu_capacity_;  // [num_heads + 1], rows
  std::vector<int32_t> lens_;         // [num_heads]
  std::vector<float> k_;              // [cu_capacity_.back(), head_dim]
  std::vector<float> v_;              // [cu_capacity_.back(), head_dim]
};

struct HeadKvCache {
  CacheLayout layout = CacheLayout::kGqa;
  int32_t group_size = 1;  // query heads per KV head
  std::vector<HeadKvLayer> layers;

  // Segment that query head `q_head` attends to.
  int32_t segment_for_query_head(int32_t q_head) const {
    return layout == CacheLayout::kReference ? q_head : q_head / group_size;
  }

  int64_t entries() const;
  // Bytes of K and V at `bytes_per_element` (2 for the fp16/bf16 reference, 4 as stored here).
  int64_t bytes(int bytes_per_element) const;
};

}  // namespace hkv::model
