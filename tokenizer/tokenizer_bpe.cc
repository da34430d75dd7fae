// BPE merge loop, a transcription of HF `tokenizers` BPE::merge_word + Word::merge_all so that
// ties and stale queue entries resolve exactly as there: the queue pops the lowest rank, then the
// leftmost position, and an entry is stale unless the pair now at its position still merges into
// the same new id. Cost is O(n log n) per word, so a whole 20k-character SentencePiece segment (no
// pre-tokenizer splits it) is fine.
#include "tokenizer/tokenizer_bpe.h"

#include <cstdio>
#include <queue>

#include "tokenizer/tokenizer_text.h"

namespace hkv::model::internal {
namespace {

struct Symbol {
  int32_t id = 0;
  int32_t prev = -1;
  int32_t next = -1;
  int32_t byte_len = 0;  // 0 marks a symbol merged into its left neighbour
};

struct QueuedMerge {
  int32_t rank = 0;
  int32_t pos = 0;
  int32_t new_id = 0;
};

// std::priority_queue keeps the "largest" on top; make that the lowest (rank, pos).
struct LowerPriority {
  bool operator()(const QueuedMerge& a, const QueuedMerge& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

void add_symbol(std::vector<Symbol>& symbols, int32_t id, int32_t byte_len) {
  auto count = static_cast<int32_t>(symbols.size());
  if (!symbols.empty()) {
    symbols.back().next = count;
  }
  symbols.push_back({id, count - 1, -1, byte_len});
}

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// HF Word::merge_all. `find_merge(left, right)` returns the rule (rank, new_id) for a pair or
// nullptr. Merged-away symbols keep their slot with byte_len 0.
template <typename FindMerge>
void merge_all(std::vector<Symbol>& symbols, const FindMerge& find_merge) {
  std::priority_queue<QueuedMerge, std::vector<QueuedMerge>, LowerPriority> queue;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const auto* rule = find_merge(symbols[i].id, symbols[i + 1].id)) {
      queue.push({rule->rank, static_cast<int32_t>(i), rule->new_id});
    }
  }
  while (!queue.empty()) {
    QueuedMerge top = queue.top();
    queue.pop();
    Symbol& current = symbols[top.pos];
    if (current.byte_len == 0 || current.next == -1) {
      continue;
    }
    Symbol& right = symbols[current.next];
    const auto* rule = find_merge(current.id, right.id);
    if (rule == nullptr || rule->new_id != top.new_id) {
      continue;  // stale: the pair at this position changed since it was queued
    }
    current.id = top.new_id;
    current.byte_len += right.byte_len;
    current.next = right.next;
    right.byte_len = 0;
    if (current.next != -1) {
      symbols[current.next].prev = top.pos;
    }
    if (current.prev != -1) {
      if (const auto* r = find_merge(symbols[current.prev].id, current.id)) {
        queue.push({r->rank, current.prev, r->new_id});
      }
    }
    if (current.next != -1) {
      if (const auto* r = find_merge(current.id, symbols[current.next].id)) {
        queue.push({r->rank, top.pos, r->new_id});
      }
    }
  }
}

}  // namespace

Result<std::unique_ptr<BpeModel>> BpeModel::create(
    const std::vector<std::string>& vocab,
    const std::vector<std::pair<std::string, std::string>>& merges,
    const BpeOptions& options) {
  auto model = std::make_unique<BpeModel>();
  model->options_ = options;
  model->token_to_id_.reserve(vocab.size());
  for (size_t id = 0; id < vocab.size(); ++id) {
    if (!vocab[id].empty()) {
      model->token_to_id_.insert_or_assign(vocab[id], static_cast<int32_t>(id));
    }
  }
  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const std::string merged = left + right;
    const std::string* names[3] = {&left, &right, &merged};
    std::optional<int32_t> ids[3];
    for (int k = 0; k < 3; ++k) {
      ids[k] = model->token_to_id(*names[k]);
      if (!ids[k]) {
        return errorf(StatusCode::kInvalidArgument,
                      "merge #%zu ('%s' '%s'): token '%s' is not in the vocab", rank, left.c_str(),
                      right.c_str(), names[k]->c_str());
      }
    }
    model->merges_.insert_or_assign(pair_key(*ids[0], *ids[1]),
                                    MergeRule{static_cast<int32_t>(rank), *ids[2]});
  }
  model->byte_fallback_ids_.assign(256, -1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    model->byte_fallback_ids_[b] = model->token_to_id(name).value_or(-1);
  }
  return model;
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  auto it = token_to_id_.find(token);
  if (it == token_to_id_.end()) {
    return std::nullopt;
  }
  return it->second;
}

const BpeModel::MergeRule* BpeModel::find_merge(int32_t left, int32_t right) const {
  auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) {
    return;
  }
  if (options_.ignore_merges) {
    if (auto id = token_to_id(word)) {
      out.push_back(*id);
      return;
    }
  }
  bool cacheable = word.size() < kMaxCachedWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(word); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  size_t first = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) {
      cache_.clear();
    }
    cache_.emplace(std::string(word), std::vector<int32_t>(out.begin() + first, out.end()));
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  Symbol unk;  // pending run of unknown characters; byte_len 0 when there is none
  for (size_t pos = 0; pos < word.size();) {
    size_t n = utf8_char_length(word, pos);
    n = n == 0 ? 1 : n;
    auto len = static_cast<int32_t>(n);
    std::string_view piece = word.substr(pos, n);
    pos += n;
    if (auto id = token_to_id(piece)) {
      if (unk.byte_len != 0) {
        add_symbol(symbols, unk.id, unk.byte_len);
        unk.byte_len = 0;
      }
      add_symbol(symbols, *id, len);
      continue;
    }
    if (options_.byte_fallback) {
      bool all_bytes = true;
      for (char byte : piece) {
        all_bytes = all_bytes && byte_fallback_ids_[static_cast<uint8_t>(byte)] >= 0;
      }
      if (all_bytes) {
        // HF adds the byte tokens without flushing a pending unk first; keep that order.
        for (char byte : piece) {
          add_symbol(symbols, byte_fallback_ids_[static_cast<uint8_t>(byte)], 1);
        }
        continue;
      }
    }
    if (options_.unk_id) {
      if (unk.byte_len != 0 && options_.fuse_unk) {
        unk.byte_len += len;
      } else {
        if (unk.byte_len != 0) {
          add_symbol(symbols, unk.id, unk.byte_len);
        }
        unk = Symbol{*options_.unk_id, -1, -1, len};
      }
    }
  }
  if (unk.byte_len != 0) {
    add_symbol(symbols, unk.id, unk.byte_len);
  }

  merge_all(symbols, [this](int32_t left, int32_t right) { return find_merge(left, right); });
  for (const Symbol& symbol : symbols) {
    if (symbol.byte_len != 0) {
      out.push_back(symbol.id);
    }
  }
}

}  // namespace hkv::model::internal
