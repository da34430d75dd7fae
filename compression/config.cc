// CompressionConfig validation and labels.
#include "compression/config.h"

#include "common/strings.h"

namespace hkv::compression {

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
    if (temp != 1.0) {
      s += strformat(" temp=%g", temp);
    }
  }
  if (window != 8 || kernel != 7 || pooling != Pooling::kMax) {
    s += strformat(" w=%d k=%d %s", window, kernel, pooling == Pooling::kMax ? "max" : "avg");
  }
  return s + " " + cache_layout_name(layout);
}

CompressionConfig neutral_config(Method method) {
  CompressionConfig c;
  c.method = method;
  c.budget = 0;
  c.beta = 0.0;
  c.temp = 0.0;
  return c;
}

}  // namespace hkv::compression
