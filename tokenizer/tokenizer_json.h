// Reads a Hugging Face tokenizer.json (and the tokenizer_config.json beside it) into a
// TokenizerSpec. Only the pipelines headkv's models use are accepted; anything else is
// kUnimplemented naming the JSON path, never a silent approximation. Internal to tokenizer/.
#pragma once

#include <string>

#include "common/json.h"
#include "common/status.h"
#include "tokenizer/tokenizer.h"

namespace hkv::model::internal {

// Errors name `path` and the JSON path ("$.model.merges[12]: ...").
Result<TokenizerSpec> parse_hf_tokenizer_json(const std::string& path);

// The tokenizer.json document alone (no config file), for tests of malformed input.
Result<TokenizerSpec> parse_hf_tokenizer_document(const Json& root);

// Applies tokenizer_config.json (parsed) to a spec built from tokenizer.json: add_bos/add_eos as
// transformers 5 does (explicit flags rebuild the template), bos/eos ids, clean-up and
// chat_template.
Status apply_tokenizer_config(const Json& config, TokenizerSpec& spec);

}  // namespace hkv::model::internal
