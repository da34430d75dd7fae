// Reading YAML (or JSON) documents into the Json tree, so spec readers handle both formats with one
// path-aware JsonRef reader. Plain scalars resolve as YAML 1.2's core schema (null, bool, int,
// float, else string); quoted scalars stay strings.
#pragma once

#include <string_view>

#include "common/json.h"
#include "common/status.h"

namespace hkv::jobs {

// JSON when the text starts with '{', else YAML. Errors are InvalidArgument naming `source`, and
// for YAML the line and column.
Result<Json> parse_yaml_or_json(std::string_view text, std::string_view source);

}  // namespace hkv::jobs
