// Builds a TokenizerSpec from a GGUF file's tokenizer.ggml.* metadata (the tokenizer embedded in
// GGUF models), so the same Tokenizer code serves tokenizer.json and GGUF.
#pragma once

#include "common/status.h"
#include "tokenizer/tokenizer.h"

namespace hkv::model {

class GgufFile;

// Supports tokenizer.ggml.model "gpt2" (byte-level BPE) with pre-tokenizers "default"/"gpt2",
// "smollm" and the Llama-3 family ("llama-bpe", "llama3", "llama-v3"). Other models or
// pre-tokenizers are Unimplemented with a message naming them.
Result<TokenizerSpec> tokenizer_spec_from_gguf(const GgufFile& gguf);

// Convenience: spec + Tokenizer::from_spec.
Result<Tokenizer> tokenizer_from_gguf(const GgufFile& gguf);

}  // namespace hkv::model
