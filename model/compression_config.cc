// Method names and CompressionConfig validation.
#include "model/compression_config.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace hkv::model {

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
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
  if (n == "fullkv" || n == "full")
    return Method::kFullKv;
  if (n == "snapkv")
    return Method::kSnapKv;
  if (n == "pyramidkv")
    return Method::kPyramidKv;
  if (n == "ada-snapkv" || n == "adasnapkv" || n == "adakv" || n == "adativekv")
    return Method::kAdaSnapKv;
  if (n == "headkv-r" || n == "headkvr")
    return Method::kHeadKvR;
  if (n == "headkv-r2" || n == "headkvr2")
    return Method::kHeadKvR2;
  return errorf(StatusCode::kInvalidArgument,
                "unknown method '%.*s' (expected FullKV, SnapKV, PyramidKV, Ada-SnapKV, HeadKV-R, "
                "HeadKV-R2)",
                static_cast<int>(name.size()), name.data());
}

bool uses_head_scores(Method method) {
  return method == Method::kHeadKvR || method == Method::kHeadKvR2;
}

Status CompressionConfig::validate() const {
  if (window < 1) {
    return errorf(StatusCode::kInvalidArgument, "window = %d, expected >= 1", window);
  }
  if (method == Method::kFullKv) {
    return Status();
  }
  if (budget <= window) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: budget = %d must exceed the window = %d (the reference asserts B - w > 0)",
                  method_name(method), budget, window);
  }
  if (kernel < 1 || kernel % 2 == 0) {
    return errorf(StatusCode::kInvalidArgument, "kernel = %d, expected an odd number >= 1", kernel);
  }
  if (uses_head_scores(method)) {
    if (!(beta >= 1.0)) {
      return errorf(StatusCode::kInvalidArgument,
                    "%s: beta = %g, expected >= 1 (beta < 1 gives negative per-head capacities)",
                    method_name(method), beta);
    }
    if (!(temp > 0.0)) {
      return errorf(StatusCode::kInvalidArgument, "%s: temp = %g, expected > 0",
                    method_name(method), temp);
    }
    if (head_scores.empty()) {
      return errorf(StatusCode::kInvalidArgument,
                    "%s needs head scores (retrieval, reasoning or a score file)",
                    method_name(method));
    }
  }
  return Status();
}

std::string CompressionConfig::label() const {
  if (method == Method::kFullKv) {
    return "FullKV";
  }
  std::string s = strformat("%s B=%d", method_name(method), budget);
  if (uses_head_scores(method)) {
    s += strformat(" beta=%g", beta);
    if (temp != 1.0)
      s += strformat(" temp=%g", temp);
  }
  if (window != 8 || kernel != 7 || pooling != Pooling::kMax) {
    s += strformat(" w=%d k=%d %s", window, kernel, pooling == Pooling::kMax ? "max" : "avg");
  }
  return s + " " + cache_layout_name(layout);
}

}  // namespace hkv::model
