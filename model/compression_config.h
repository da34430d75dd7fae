// CompressionConfig: one point of the method x budget x beta grid, shared by the CPU and GPU
// engines. Semantics: docs/ALGORITHMS.md (§1 SnapKV, §2 PyramidKV, §3 Ada-SnapKV,
// §4 HeadKV-R/R2); deliberate deviations are the document's preface items.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/kv_cache.h"

namespace hkv::model {

enum class Method { kFullKv, kSnapKv, kPyramidKv, kAdaSnapKv, kHeadKvR, kHeadKvR2 };
enum class Pooling { kMax, kAvg };

// "FullKV", "SnapKV", "PyramidKV", "Ada-SnapKV", "HeadKV-R", "HeadKV-R2".
const char* method_name(Method method);
// Case-insensitive; accepts the paper names, the reference's names (AdativeKV) and short forms
// (fullkv, snapkv, pyramidkv, adakv, ada-snapkv, headkv-r, headkv-r2).
Result<Method> parse_method(std::string_view name);
bool uses_head_scores(Method method);

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
};

}  // namespace hkv::model
