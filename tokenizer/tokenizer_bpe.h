// The BPE model of HF `tokenizers` (models/bpe): vocab lookup, merges by rank with the same
// priority queue and stale-entry rule as Word::merge_all, byte fallback and unk fusing, and a
// bounded word -> ids cache. Internal to tokenizer/; the Tokenizer feeds it one pre-token at a
// time.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hkv::model::internal {

struct BpeOptions {
  bool ignore_merges = false;     // a whole word found in the vocab is one token, merges unused
  bool byte_fallback = false;     // an unknown char becomes its <0xNN> byte tokens when all exist
  bool fuse_unk = false;          // consecutive unknown chars give one unk id
  std::optional<int32_t> unk_id;  // unknown chars are dropped when unset (HF unk_token null)
};

// Hash for heterogeneous (string_view) lookup in string-keyed maps.
struct StringViewHash {
  using is_transparent = void;

  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using TokenIdMap = std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>>;

class BpeModel {
 public:
  // `vocab` is id -> token string; empty strings are holes (no token). For a repeated string the
  // highest id wins, as in a Python dict built in id order. Merges must name vocab tokens and
  // their concatenation must be one; a pair listed twice keeps its last rank (HF builds a map).
  // Errors name the merge index and the missing token.
  static Result<std::unique_ptr<BpeModel>> create(
      const std::vector<std::string>& vocab,
      const std::vector<std::pair<std::string, std::string>>& merges,
      const BpeOptions& options);

  // Appends the ids of one pre-token, spelled in the model's alphabet (byte-level characters, or
  // "▁"-normalized text). `word` must be valid UTF-8. Thread-safe.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;

  BpeModel() = default;  // empty; use create()

 private:
  struct MergeRule {
    int32_t rank = 0;
    int32_t new_id = 0;
  };

  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  const MergeRule* find_merge(int32_t left, int32_t right) const;

  TokenIdMap token_to_id_;
  std::unordered_map<uint64_t, MergeRule> merges_;  // key: left id << 32 | right id
  std::vector<int32_t> byte_fallback_ids_;          // 256 entries, -1 where <0xNN> is missing
  BpeOptions options_;

  // Words shorter than kMaxCachedWordBytes; cleared wholesale when it reaches kMaxCacheEntries.
  static constexpr size_t kMaxCachedWordBytes = 256;
  static constexpr size_t kMaxCacheEntries = 100000;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringViewHash, std::equal_to<>>
      cache_;
};

}  // namespace hkv::model::internal
