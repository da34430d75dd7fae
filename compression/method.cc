// Name tables and parsers of the compression vocabulary.
#include "compression/method.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace hkv::compression {
namespace {

std::string fold(std::string_view name) {
  std::string n;
  for (char c : name) {
    if (c != '_' && c != ' ') {
      n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return n;
}

}  // namespace

const char* method_name(Method method) {
  switch (method) {
    case Method::kFullKv:
      return "FullKV";
    case Method::kSnapKv:
      return "SnapKV";
    case Method::kPyramidKv:
      return "PyramidKV";
    case Method::kAdaSnapKv:
      return "Ada-SnapKV";
    case Method::kHeadKvR:
      return "HeadKV-R";
    case Method::kHeadKvR2:
      return "HeadKV-R2";
  }
  return "?";
}

Result<Method> parse_method(std::string_view name) {
  const std::string n = fold(name);
  if (n == "fullkv" || n == "full") {
    return Method::kFullKv;
  }
  if (n == "snapkv") {
    return Method::kSnapKv;
  }
  if (n == "pyramidkv") {
    return Method::kPyramidKv;
  }
  if (n == "ada-snapkv" || n == "adasnapkv" || n == "adakv" || n == "adativekv") {
    return Method::kAdaSnapKv;
  }
  if (n == "headkv-r" || n == "headkvr") {
    return Method::kHeadKvR;
  }
  if (n == "headkv-r2" || n == "headkvr2") {
    return Method::kHeadKvR2;
  }
  return errorf(StatusCode::kInvalidArgument,
                "unknown method '%.*s' (expected FullKV, SnapKV, PyramidKV, Ada-SnapKV, HeadKV-R, "
                "HeadKV-R2; the reference's AdativeKV and ReasonKV with head_choice also work)",
                static_cast<int>(name.size()), name.data());
}

Result<Method> parse_reasonkv_head_choice(std::string_view head_choice) {
  const std::string n = fold(head_choice);
  if (n == "copy") {
    return Method::kHeadKvR;
  }
  if (n == "reason") {
    return Method::kHeadKvR2;
  }
  return errorf(StatusCode::kInvalidArgument,
                "ReasonKV head_choice '%.*s': expected copy (HeadKV-R) or reason (HeadKV-R2)",
                static_cast<int>(head_choice.size()), head_choice.data());
}

bool is_reasonkv(std::string_view name) {
  return fold(name) == "reasonkv";
}

bool uses_head_scores(Method method) {
  return method == Method::kHeadKvR || method == Method::kHeadKvR2;
}

const char* default_head_scores(Method method) {
  switch (method) {
    case Method::kHeadKvR:
      return "retrieval";
    case Method::kHeadKvR2:
      return "reasoning";
    default:
      return "";
  }
}

ScoreReduce score_reduce_for(Method method) {
  return method == Method::kSnapKv || method == Method::kPyramidKv ? ScoreReduce::kSum
                                                                   : ScoreReduce::kMean;
}

const char* pooling_name(Pooling pooling) {
  return pooling == Pooling::kMax ? "maxpool" : "avgpool";
}

Result<Pooling> parse_pooling(std::string_view name) {
  if (name == "maxpool") {
    return Pooling::kMax;
  }
  if (name == "avgpool") {
    return Pooling::kAvg;
  }
  return errorf(StatusCode::kInvalidArgument, "pooling '%.*s': expected maxpool or avgpool",
                static_cast<int>(name.size()), name.data());
}

const char* cache_layout_name(CacheLayout layout) {
  return layout == CacheLayout::kReference ? "reference" : "gqa";
}

Result<CacheLayout> parse_cache_layout(std::string_view name) {
  if (name == "reference") {
    return CacheLayout::kReference;
  }
  if (name == "gqa") {
    return CacheLayout::kGqa;
  }
  return errorf(StatusCode::kInvalidArgument, "layout '%.*s': expected reference or gqa",
                static_cast<int>(name.size()), name.data());
}

}  // namespace hkv::compression
