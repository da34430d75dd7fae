// The compression vocabulary as the engines see it: compression/ defines it once (method names,
// CompressionConfig, the keep rule); model code names it hkv::model:: like its own types.
#pragma once

#include "compression/config.h"
#include "compression/keep_policy.h"
#include "compression/method.h"

namespace hkv::model {

using compression::cache_layout_name;
using compression::CacheLayout;
using compression::CompressionConfig;
using compression::Method;
using compression::method_name;
using compression::parse_method;
using compression::Pooling;
using compression::ScoreReduce;
using compression::uses_head_scores;

}  // namespace hkv::model
