// CompressionConfig <-> JSON.
#include "compression/config_json.h"

#include <string>

namespace hkv::compression {

Json config_to_json(const CompressionConfig& config) {
  return Json{{"method", method_name(config.method)},
              {"budget", config.budget},
              {"beta", config.beta},
              {"temp", config.temp},
              {"window", config.window},
              {"kernel", config.kernel},
              {"pooling", pooling_name(config.pooling)},
              {"head_scores", config.head_scores},
              {"layout", cache_layout_name(config.layout)}};
}

Result<CompressionConfig> config_from_json(const Json& json) {
  JsonRef root(json, "config");
  CompressionConfig c;
  HKV_ASSIGN_OR_RETURN(std::string method, root.get<std::string>("method"));
  HKV_ASSIGN_OR_RETURN(c.budget, root.get<int32_t>("budget"));
  HKV_ASSIGN_OR_RETURN(c.beta, root.get<double>("beta"));
  HKV_ASSIGN_OR_RETURN(c.temp, root.get<double>("temp"));
  HKV_ASSIGN_OR_RETURN(c.window, root.get<int32_t>("window"));
  HKV_ASSIGN_OR_RETURN(c.kernel, root.get<int32_t>("kernel"));
  HKV_ASSIGN_OR_RETURN(std::string pooling, root.get<std::string>("pooling"));
  HKV_ASSIGN_OR_RETURN(c.head_scores, root.get<std::string>("head_scores"));
  HKV_ASSIGN_OR_RETURN(std::string layout, root.get<std::string>("layout"));
  // Stored configs use the canonical names only.
  Result<Method> m = parse_method(method);
  if (!m.ok() || method_name(*m) != method) {
    return errorf(StatusCode::kInvalidArgument, "config.method: unknown method '%s'",
                  method.c_str());
  }
  c.method = *m;
  Result<Pooling> p = parse_pooling(pooling);
  if (!p.ok()) {
    return p.status().with_context("config.pooling");
  }
  c.pooling = *p;
  Result<CacheLayout> l = parse_cache_layout(layout);
  if (!l.ok()) {
    return l.status().with_context("config.layout");
  }
  c.layout = *l;
  return c;
}

}  // namespace hkv::compression
