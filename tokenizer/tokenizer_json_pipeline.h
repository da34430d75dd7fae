// The non-model parts of tokenizer.json: normalizer, pre-tokenizer, decoder and post-processor,
// mapped onto TokenizerKind, the split regexes and the BOS/EOS rules. Internal to tokenizer/.
#pragma once

#include "common/json.h"
#include "common/status.h"
#include "tokenizer/tokenizer.h"

namespace hkv::model::internal {

// Sets spec.kind, split_regex, pre_split_regexes, add_bos/add_eos and bos_id/eos_id from `root`
// (the tokenizer.json document). Pipelines other than the two supported shapes are
// kUnimplemented naming the JSON path:
//   byte-level:    no normalizer; pre_tokenizer [Split(Isolated) | Digits]* then ByteLevel
//                  (add_prefix_space false); decoder ByteLevel.
//   SentencePiece: normalizer Sequence[Prepend("▁"), Replace(" ", "▁")]; no pre_tokenizer;
//                  decoder Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)].
// post_processor: none, ByteLevel, TemplateProcessing with at most one special token on each
// side of $A, or a Sequence of those.
Status parse_pipeline(const JsonRef& root, TokenizerSpec& spec);

}  // namespace hkv::model::internal
