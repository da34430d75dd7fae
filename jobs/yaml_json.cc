// YAML -> Json: core-schema scalar resolution, path-aware errors, bounded depth. yaml-cpp throws,
// so every yaml-cpp call stays inside parse_yaml_or_json's try block.
#include "jobs/yaml_json.h"

#include <charconv>
#include <yaml-cpp/yaml.h>

#include "jobs/sweep_limits.h"

namespace hkv::jobs {
namespace {

// YAML 1.2 core-schema resolution of a plain (unquoted) scalar: null, bool, int, float, string.
Json plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return Json(nullptr);
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return Json(true);
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return Json(false);
  }
  const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  int64_t integer = 0;
  auto [int_end, int_ec] = std::from_chars(begin, end, integer);
  if (int_ec == std::errc() && int_end == end) {
    return Json(integer);
  }
  // A float must contain a digit, so names like "nan" or "inf" stay strings.
  double real = 0.0;
  auto [real_end, real_ec] = std::from_chars(begin, end, real);
  if (real_ec == std::errc() && real_end == end && text.find_first_of("0123456789") != text.npos) {
    return Json(real);
  }
  return Json(text);
}

// `nodes` counts the JSON nodes made so far: aliases are expanded, so a small file of nested
// aliases ("billion laughs") would otherwise grow exponentially.
Result<Json> yaml_to_json(const YAML::Node& node,
                          const std::string& path,
                          int depth,
                          int64_t* nodes) {
  if (depth > kMaxYamlDepth) {
    return errorf(StatusCode::kInvalidArgument, "%s: nested deeper than %d levels", path.c_str(),
                  kMaxYamlDepth);
  }
  if (++*nodes > kMaxYamlNodes) {
    return errorf(StatusCode::kInvalidArgument,
                  "%s: more than %lld values once aliases are expanded (the limit for sweep "
                  "files)",
                  path.empty() ? "top level" : path.c_str(), static_cast<long long>(kMaxYamlNodes));
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      // Quoted scalars carry the tag "!", explicit !!str the full tag: both stay strings.
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") {
        return Json(node.Scalar());
      }
      return plain_scalar(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        HKV_ASSIGN_OR_RETURN(Json item, yaml_to_json(node[i], path + "[" + std::to_string(i) + "]",
                                                     depth + 1, nodes));
        out.push_back(std::move(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return errorf(StatusCode::kInvalidArgument, "%s: map keys must be scalars", path.c_str());
        }
        const std::string& key = entry.first.Scalar();
        std::string child = path.empty() ? key : path + "." + key;
        if (out.contains(key)) {
          return errorf(StatusCode::kInvalidArgument, "%s: duplicate key", child.c_str());
        }
        HKV_ASSIGN_OR_RETURN(out[key], yaml_to_json(entry.second, child, depth + 1, nodes));
      }
      return out;
    }
  }
  return errorf(StatusCode::kInternal, "%s: unknown YAML node type", path.c_str());
}

}  // namespace

Result<Json> parse_yaml_or_json(std::string_view text, std::string_view source) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != text.npos && text[first] == '{') {
    return parse_json(text, source);
  }
  try {
    YAML::Node root = YAML::Load(std::string(text));
    int64_t nodes = 0;
    Result<Json> json = yaml_to_json(root, "", 0, &nodes);
    if (!json.ok()) {
      return json.status().with_context("%.*s", static_cast<int>(source.size()), source.data());
    }
    return json;
  } catch (const YAML::Exception& e) {
    return errorf(StatusCode::kInvalidArgument, "%.*s: malformed YAML at line %d, column %d: %s",
                  static_cast<int>(source.size()), source.data(), e.mark.line + 1,
                  e.mark.column + 1, e.msg.c_str());
  } catch (const std::exception& e) {
    return errorf(StatusCode::kInvalidArgument, "%.*s: cannot read YAML: %s",
                  static_cast<int>(source.size()), source.data(), e.what());
  }
}

}  // namespace hkv::jobs
