// The compression vocabulary's names: methods, pooling, cache layouts and score reductions, each
// with its one name table and parser. Semantics: docs/ALGORITHMS.md (§1 SnapKV, §2 PyramidKV,
// §3 Ada-SnapKV, §4 HeadKV-R/R2).
#pragma once

#include <string_view>

#include "common/status.h"

namespace hkv::compression {

enum class Method { kFullKv, kSnapKv, kPyramidKv, kAdaSnapKv, kHeadKvR, kHeadKvR2 };
enum class Pooling { kMax, kAvg };
enum class CacheLayout {
  kReference,  // one segment per query head (K/V rows repeated per GQA group), as the reference
  kGqa,        // one segment per KV head: each kept row stored once
};
// How the window rows' attention is reduced to one score per position: SnapKV and PyramidKV sum,
// the others average (the reference's per-method code).
enum class ScoreReduce { kSum, kMean };

// "FullKV", "SnapKV", "PyramidKV", "Ada-SnapKV", "HeadKV-R", "HeadKV-R2".
const char* method_name(Method method);
// Case-insensitive, ignoring '_' and spaces; accepts the paper names, short forms (fullkv, adakv,
// headkvr) and the reference scripts' AdativeKV. InvalidArgument naming the value otherwise.
Result<Method> parse_method(std::string_view name);
// The reference scripts' ReasonKV with its head_choice: "copy" -> HeadKV-R, "reason" ->
// HeadKV-R2; InvalidArgument for another choice.
Result<Method> parse_reasonkv_head_choice(std::string_view head_choice);
// Whether `name` is the reference's ReasonKV (folded as parse_method folds).
bool is_reasonkv(std::string_view name);
bool uses_head_scores(Method method);
// The head scores a HeadKV method uses unless told otherwise, in every command and sweep:
// HeadKV-R "retrieval", HeadKV-R2 "reasoning"; "" for the other methods.
const char* default_head_scores(Method method);
ScoreReduce score_reduce_for(Method method);

// "maxpool" | "avgpool" (the sweep files' and the wire's spelling).
const char* pooling_name(Pooling pooling);
Result<Pooling> parse_pooling(std::string_view name);

// "reference" | "gqa".
const char* cache_layout_name(CacheLayout layout);
Result<CacheLayout> parse_cache_layout(std::string_view name);

}  // namespace hkv::compression
