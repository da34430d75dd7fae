// The HeadKV capacity formula reproduced operation by operation in float64: the reference's
// rounding boundaries are ≥ 1.7e-6 away from every cap it computes (§4.2 precision note), so any
// float64 summation order gives the same integers, but float32 would not.
#include "head_scores/budget.h"

#include <cmath>
#include <limits>

namespace hkv::head_scores {

double python_floor_div(double a, double b) {
  // CPython's _float_div_mod: fmod is exact, (a - mod) / b is then within an ulp of an integer,
  // and the quotient is snapped to the nearest integer rather than floored blindly.
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0) != (mod < 0))) {
    div -= 1.0;
  }
  if (div == 0.0) {
    return std::copysign(0.0, a / b);
  }
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) {
    floordiv += 1.0;
  }
  return floordiv;
}

double round_half_even(double x) {
  double lower = std::floor(x);
  double diff = x - lower;  // exact for |x| < 2^52
  if (diff > 0.5 || (diff == 0.5 && std::fmod(lower, 2.0) != 0.0)) {
    return lower + 1.0;
  }
  return lower;
}

Result<PoolSplit> headkv_pool_split(int32_t budget,
                                    double beta,
                                    int32_t window,
                                    int64_t num_heads_total) {
  // β < 1 makes min_num negative and the reference silently drops tokens (§4.2 [BUG]); NaN fails
  // the comparison too.
  if (!(beta >= 1.0) || !std::isfinite(beta)) {
    return errorf(StatusCode::kInvalidArgument, "beta must be >= 1 (got %g)", beta);
  }
  if (window < 0) {
    return errorf(StatusCode::kInvalidArgument, "window w=%d must be >= 0", window);
  }
  if (budget <= window) {
    return errorf(StatusCode::kInvalidArgument, "budget B=%d must exceed the window w=%d", budget,
                  window);
  }
  if (num_heads_total <= 0) {
    return errorf(StatusCode::kInvalidArgument, "the head count must be positive (got %lld)",
                  static_cast<long long>(num_heads_total));
  }
  PoolSplit split;
  split.selected = budget - window;
  double selected = static_cast<double>(split.selected);
  split.quota = python_floor_div(selected, beta);
  // The reference multiplies q by NL and then by H; with integral q every product is exact.
  split.pool = split.quota * static_cast<double>(num_heads_total);
  split.min_num = selected - split.quota;
  return split;
}

Result<std::vector<double>> normalized_scores(std::span<const double> means, double temp) {
  if (!(temp > 0.0) || !std::isfinite(temp)) {
    return errorf(StatusCode::kInvalidArgument, "temp must be > 0 (got %g)", temp);
  }
  if (means.empty()) {
    return Status(StatusCode::kInvalidArgument, "no head scores to normalise");
  }
  // Python's sum() over numpy float64 values never takes CPython's compensated float path
  // (np.float64 is not an exact float), so it is a plain left-to-right sum.
  double total = 0.0;
  for (size_t i = 0; i < means.size(); ++i) {
    if (!(means[i] >= 0.0) || !std::isfinite(means[i])) {
      return errorf(StatusCode::kInvalidArgument,
                    "head score mean [%zu] = %g must be a finite number >= 0", i, means[i]);
    }
    total += means[i];
  }
  if (total <= 0.0) {
    return Status(StatusCode::kInvalidArgument,
                  "every head score mean is 0: nothing to distribute");
  }
  std::vector<double> p(means.size());
  for (size_t i = 0; i < means.size(); ++i) {
    p[i] = means[i] / total;
  }
  // torch float64 p ** temp and p / p.sum(). torch's CPU sum reduces in a vectorised cascade, not
  // left to right; we sum sequentially. The two can differ by an ulp of the normaliser, far below
  // the 1.7e-6 distance of every cap to a rounding boundary, so the caps are identical (checked
  // against torch for all four reference files, five budgets, nine betas and temp 0.5/1/2).
  double renorm = 0.0;
  for (double& value : p) {
    value = std::pow(value, temp);
    renorm += value;
  }
  for (double& value : p) {
    value /= renorm;
  }
  return p;
}

int64_t HeadCapacities::total() const {
  int64_t sum = 0;
  for (int32_t c : caps) {
    sum += c;
  }
  return sum;
}

Result<HeadCapacities> headkv_capacities(
    const HeadScoreTable& table, int32_t budget, double beta, double temp, int32_t window) {
  int64_t entries = static_cast<int64_t>(table.num_layers) * table.num_heads;
  if (entries <= 0 || static_cast<int64_t>(table.means.size()) != entries) {
    return errorf(StatusCode::kInvalidArgument,
                  "score table has %zu means, expected %d layers x %d heads", table.means.size(),
                  table.num_layers, table.num_heads);
  }
  HeadCapacities out;
  out.num_layers = table.num_layers;
  out.num_heads = table.num_heads;
  HKV_ASSIGN_OR_RETURN(out.split, headkv_pool_split(budget, beta, window, entries));
  HKV_ASSIGN_OR_RETURN(std::vector<double> p, normalized_scores(table.means, temp));
  out.caps.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    double cap = round_half_even(p[i] * out.split.pool + out.split.min_num);
    if (cap > static_cast<double>(std::numeric_limits<int32_t>::max())) {
      return errorf(StatusCode::kOutOfRange, "capacity %.0f of head %zu-%zu does not fit int32",
                    cap, i / static_cast<size_t>(table.num_heads),
                    i % static_cast<size_t>(table.num_heads));
    }
    out.caps.push_back(static_cast<int32_t>(cap));
  }
  return out;
}

Result<std::vector<int32_t>> gqa_capacities(std::span<const int32_t> caps,
                                            int32_t num_q_heads,
                                            int32_t num_kv_heads) {
  if (num_q_heads <= 0 || num_kv_heads <= 0 || num_q_heads % num_kv_heads != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "num_q_heads=%d must be a positive multiple of num_kv_heads=%d", num_q_heads,
                  num_kv_heads);
  }
  if (caps.empty() || caps.size() % static_cast<size_t>(num_q_heads) != 0) {
    return errorf(StatusCode::kInvalidArgument,
                  "%zu capacities are not a whole number of layers of %d query heads", caps.size(),
                  num_q_heads);
  }
  const int64_t group = num_q_heads / num_kv_heads;
  std::vector<int32_t> out(caps.size() / static_cast<size_t>(group));
  for (size_t g = 0; g < out.size(); ++g) {
    // Consecutive query heads form a group in both layers and heads because the layout is
    // layer-major and num_q_heads is a multiple of the group size.
    int64_t sum = 0;
    for (int64_t j = 0; j < group; ++j) {
      sum += caps[g * static_cast<size_t>(group) + static_cast<size_t>(j)];
    }
    // Exact round-half-even of sum / group in integers: floor quotient, then compare 2r with G.
    int64_t quotient = sum / group;
    int64_t remainder = sum % group;
    if (remainder < 0) {
      remainder += group;
      quotient -= 1;
    }
    if (2 * remainder > group || (2 * remainder == group && quotient % 2 != 0)) {
      quotient += 1;
    }
    out[g] = static_cast<int32_t>(quotient);
  }
  return out;
}

Result<int32_t> ada_snapkv_floor(int32_t budget, int32_t window, double floor) {
  if (budget <= window) {
    return errorf(StatusCode::kInvalidArgument, "budget B=%d must exceed the window w=%d", budget,
                  window);
  }
  if (!(floor >= 0.0 && floor <= 1.0)) {
    return errorf(StatusCode::kInvalidArgument, "Ada-SnapKV floor must be in [0, 1] (got %g)",
                  floor);
  }
  // Python int(C * 0.2): a float64 product truncated toward zero.
  return static_cast<int32_t>(std::trunc(static_cast<double>(budget - window) * floor));
}

}  // namespace hkv::head_scores
