// Balanced head placement: per layer, an equal-cardinality partition minimising the largest sum.
#include "head_scores/placement.h"

#include <algorithm>
#include <numeric>

namespace hkv::head_scores {
namespace {

Status check_shape(int32_t num_layers, int32_t num_kv_heads, int32_t ranks) {
  if (num_layers < 1 || num_kv_heads < 1 || ranks < 1 || num_kv_heads % ranks != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "head placement: %d layers, %d KV heads, %d ranks; expected positive counts "
                  "and ranks dividing the KV heads",
                  num_layers, num_kv_heads, ranks);
  }
  return Status();
}

// One layer: the best partition found of `load` into `ranks` groups of `per` heads.
class LayerSearch {
 public:
  LayerSearch(std::span<const int64_t> load, int32_t ranks)
      : load_(load),
        ranks_(ranks),
        per_(static_cast<int32_t>(load.size()) / ranks),
        sum_(ranks, 0),
        count_(ranks, 0),
        assign_(load.size(), 0) {
    by_load_.resize(load.size());
    std::iota(by_load_.begin(), by_load_.end(), 0);
    std::stable_sort(by_load_.begin(), by_load_.end(),
                     [&](int32_t a, int32_t b) { return load_[a] > load_[b]; });
  }

  // rank per head.
  std::vector<int32_t> run(const std::vector<int32_t>& start) {
    best_ = start;
    best_max_ = max_load(start);
    greedy_and_swaps();
    if (load_.size() <= 16) {
      dfs(0, 0);
    }
    return best_;
  }

 private:
  int64_t max_load(const std::vector<int32_t>& a) const {
    std::vector<int64_t> s(ranks_, 0);
    for (size_t h = 0; h < a.size(); ++h) {
      s[a[h]] += load_[h];
    }
    return *std::max_element(s.begin(), s.end());
  }

  void offer(const std::vector<int32_t>& a) {
    const int64_t m = max_load(a);
    if (m < best_max_) {
      best_max_ = m;
      best_ = a;
    }
  }

  // Largest first onto the lightest rank with room, then swaps of two heads on different ranks
  // while one lowers the largest load.
  void greedy_and_swaps() {
    std::vector<int32_t> a(load_.size(), 0);
    std::vector<int64_t> s(ranks_, 0);
    std::vector<int32_t> c(ranks_, 0);
    for (int32_t h : by_load_) {
      int32_t pick = -1;
      for (int32_t r = 0; r < ranks_; ++r) {
        if (c[r] < per_ && (pick < 0 || s[r] < s[pick])) {
          pick = r;
        }
      }
      a[h] = pick;
      s[pick] += load_[h];
      ++c[pick];
    }
    for (bool improved = true; improved;) {
      improved = false;
      const int64_t before = max_load(a);
      for (size_t x = 0; x < a.size() && !improved; ++x) {
        for (size_t y = x + 1; y < a.size() && !improved; ++y) {
          if (a[x] == a[y]) {
            continue;
          }
          std::swap(a[x], a[y]);
          if (max_load(a) < before) {
            improved = true;
          } else {
            std::swap(a[x], a[y]);
          }
        }
      }
    }
    offer(a);
  }

  // Heads in descending load onto ranks with room; empty ranks are interchangeable (only the
  // first is tried) and a branch stops once it cannot beat the best.
  void dfs(size_t i, int64_t current_max) {
    if (current_max >= best_max_ || ++nodes_ > kMaxNodes) {
      return;
    }
    if (i == by_load_.size()) {
      best_max_ = current_max;
      best_ = assign_;
      return;
    }
    const int32_t h = by_load_[i];
    bool tried_empty = false;
    for (int32_t r = 0; r < ranks_; ++r) {
      if (count_[r] == per_ || (count_[r] == 0 && tried_empty)) {
        continue;
      }
      tried_empty = tried_empty || count_[r] == 0;
      sum_[r] += load_[h];
      ++count_[r];
      assign_[h] = r;
      dfs(i + 1, std::max(current_max, sum_[r]));
      sum_[r] -= load_[h];
      --count_[r];
    }
  }

  static constexpr int64_t kMaxNodes = 2'000'000;
  std::span<const int64_t> load_;
  int32_t ranks_, per_;
  std::vector<int64_t> sum_;
  std::vector<int32_t> count_, assign_, by_load_, best_;
  int64_t best_max_ = 0, nodes_ = 0;
};

// Rank per head -> the order (rank-major, heads ascending within a rank).
std::vector<int32_t> to_order(const std::vector<int32_t>& rank_of, int32_t ranks) {
  std::vector<int32_t> order;
  for (int32_t r = 0; r < ranks; ++r) {
    for (size_t h = 0; h < rank_of.size(); ++h) {
      if (rank_of[h] == r) {
        order.push_back(static_cast<int32_t>(h));
      }
    }
  }
  return order;
}

}  // namespace

int32_t HeadPlacement::rank_of(int32_t layer, int32_t kv_head) const {
  const std::vector<int32_t>& o = order[layer];
  const auto at = std::find(o.begin(), o.end(), kv_head) - o.begin();
  return static_cast<int32_t>(at) / per_rank();
}

Result<HeadPlacement> contiguous_placement(int32_t num_layers,
                                           int32_t num_kv_heads,
                                           int32_t ranks) {
  HKV_RETURN_IF_ERROR(check_shape(num_layers, num_kv_heads, ranks));
  HeadPlacement p{num_layers, num_kv_heads, ranks, {}};
  std::vector<int32_t> order(num_kv_heads);
  std::iota(order.begin(), order.end(), 0);
  p.order.assign(num_layers, order);
  return p;
}

Result<HeadPlacement> balanced_placement(std::span<const int64_t> loads,
                                         int32_t num_layers,
                                         int32_t num_kv_heads,
                                         int32_t ranks) {
  HKV_RETURN_IF_ERROR(check_shape(num_layers, num_kv_heads, ranks));
  if (loads.size() != static_cast<size_t>(num_layers) * num_kv_heads) {
    return errorf(StatusCode::kInvalidArgument,
                  "head placement: %zu loads, expected %d layers x %d KV heads", loads.size(),
                  num_layers, num_kv_heads);
  }
  HeadPlacement p{num_layers, num_kv_heads, ranks, {}};
  std::vector<int32_t> contiguous(num_kv_heads);
  for (int32_t h = 0; h < num_kv_heads; ++h) {
    contiguous[h] = h / (num_kv_heads / ranks);
  }
  for (int32_t l = 0; l < num_layers; ++l) {
    LayerSearch search(loads.subspan(static_cast<size_t>(l) * num_kv_heads, num_kv_heads), ranks);
    p.order.push_back(to_order(search.run(contiguous), ranks));
  }
  return p;
}

double placement_imbalance(const HeadPlacement& p, std::span<const int64_t> loads) {
  double slowest = 0, mean = 0;
  for (int32_t l = 0; l < p.num_layers; ++l) {
    std::vector<int64_t> s(p.ranks, 0);
    for (int32_t slot = 0; slot < p.num_kv_heads; ++slot) {
      const int32_t h = p.order[l][slot];
      s[slot / p.per_rank()] += loads[static_cast<size_t>(l) * p.num_kv_heads + h];
    }
    slowest += static_cast<double>(*std::max_element(s.begin(), s.end()));
    mean += static_cast<double>(std::accumulate(s.begin(), s.end(), int64_t{0})) / p.ranks;
  }
  return mean > 0 ? slowest / mean : 1.0;
}

Result<std::vector<int64_t>> kv_head_loads(const HeadCapacities& caps, int32_t num_kv_heads) {
  if (num_kv_heads < 1 || caps.num_heads % num_kv_heads != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "kv_head_loads: %d query heads do not split into %d KV heads", caps.num_heads,
                  num_kv_heads);
  }
  const int32_t group = caps.num_heads / num_kv_heads;
  std::vector<int64_t> out(static_cast<size_t>(caps.num_layers) * num_kv_heads, 0);
  for (int32_t l = 0; l < caps.num_layers; ++l) {
    for (int32_t h = 0; h < caps.num_heads; ++h) {
      out[static_cast<size_t>(l) * num_kv_heads + h / group] += caps.cap(l, h);
    }
  }
  return out;
}

Result<std::vector<int64_t>> sum_kv_head_loads(const std::vector<std::vector<int32_t>>& tables,
                                               int32_t num_layers,
                                               int32_t num_q_heads,
                                               int32_t num_kv_heads) {
  if (num_layers < 1 || num_kv_heads < 1 || num_q_heads % num_kv_heads != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "sum_kv_head_loads: %d layers, %d query heads over %d KV heads", num_layers,
                  num_q_heads, num_kv_heads);
  }
  std::vector<int64_t> out(static_cast<size_t>(num_layers) * num_kv_heads, 0);
  for (size_t t = 0; t < tables.size(); ++t) {
    const std::vector<int32_t>& caps = tables[t];
    if (caps.empty()) {
      continue;
    }
    int32_t segments = 0;
    if (caps.size() == static_cast<size_t>(num_layers) * num_q_heads) {
      segments = num_q_heads;
    } else if (caps.size() == static_cast<size_t>(num_layers) * num_kv_heads) {
      segments = num_kv_heads;
    } else {
      return errorf(StatusCode::kInvalidArgument,
                    "capacity table %zu has %zu entries, expected %d layers x %d query heads or "
                    "x %d KV heads",
                    t, caps.size(), num_layers, num_q_heads, num_kv_heads);
    }
    const int32_t per_kv = segments / num_kv_heads;
    for (int32_t l = 0; l < num_layers; ++l) {
      for (int32_t s = 0; s < segments; ++s) {
        out[static_cast<size_t>(l) * num_kv_heads + s / per_kv] +=
            caps[static_cast<size_t>(l) * segments + s];
      }
    }
  }
  return out;
}

}  // namespace hkv::head_scores
