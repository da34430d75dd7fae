// The lossless JSON form of a CompressionConfig, as the coordinator stores it per task:
// {"beta","budget","head_scores","kernel","layout","method","pooling","temp","window"} with the
// name tables' spellings (method_name, "maxpool"/"avgpool", "reference"/"gqa"). Stored text must
// stay byte-identical across versions (tests/compression/config_json_test.cc).
#pragma once

#include "common/json.h"
#include "compression/config.h"

namespace hkv::compression {

Json config_to_json(const CompressionConfig& config);
// Every field is read before the names are checked; errors name the field ("config.method").
Result<CompressionConfig> config_from_json(const Json& json);

}  // namespace hkv::compression
