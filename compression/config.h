// CompressionConfig: one point of the method x budget x beta grid. Sweep expansion produces it,
// the coordinator stores it (config_json.h), the wire carries it (proto/compression_convert.h),
// and the CPU and GPU engines run it. Semantics: docs/ALGORITHMS.md (§1 SnapKV, §2 PyramidKV,
// §3 Ada-SnapKV, §4 HeadKV-R/R2); deliberate deviations are the document's preface items.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "compression/method.h"

namespace hkv::compression {

struct CompressionConfig {
  Method method = Method::kFullKv;
  int32_t budget = 128;  // B, the average kept entries per head including the window
  double beta = 1.01;    // HeadKV: share of the budget pooled globally is floor(C/beta)
  double temp = 1.0;     // HeadKV: sharpening exponent on the normalised scores
  int32_t window = 8;    // w
  int32_t kernel = 7;    // pooling kernel
  Pooling pooling = Pooling::kMax;
  std::string head_scores;  // HeadKV: "retrieval" | "reasoning" | a score-file path
  CacheLayout layout = CacheLayout::kReference;

  // Budget > window, beta >= 1, temp > 0, odd kernel, head scores present for HeadKV. Errors
  // name the field, expected vs got.
  Status validate() const;
  // "HeadKV-R2 B=128 beta=1.01 reference" (only the fields the method uses).
  std::string label() const;

  // The layout the cache is stored in: `layout`, except FullKV, which always keeps one segment
  // per KV head (the reference keeps HF's KV-head cache for it).
  CacheLayout storage_layout() const {
    return method == Method::kFullKv ? CacheLayout::kGqa : layout;
  }

  friend bool operator==(const CompressionConfig&, const CompressionConfig&) = default;
};

// The neutral form sweeps store: FullKV with budget 0, and beta, temp 0 and no head scores for
// methods without head scores (fields a method does not use never tell two configs apart).
CompressionConfig neutral_config(Method method);

}  // namespace hkv::compression
