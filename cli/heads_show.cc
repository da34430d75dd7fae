// `headkv heads show FILE`: the normalised score distribution, the top heads, per-layer sums, and a
// layers x heads heatmap written as SVG.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "cli/heads.h"
#include "common/strings.h"
#include "head_scores/budget.h"
#include "head_scores/score_file.h"
#include "results/head_heatmap.h"

namespace hkv::cli {

using results::head_heatmap_svg;

int run_heads_show(const HeadsShowOptions& o) {
  auto path = head_scores::resolve_score_path(o.scores, o.model);
  auto table = path.ok() ? head_scores::load_score_file(*path)
                         : Result<head_scores::HeadScoreTable>(path.status());
  if (!table.ok()) {
    std::fprintf(stderr, "headkv heads show: %s\n", table.status().to_string().c_str());
    return 1;
  }
  auto p = head_scores::normalized_scores(table->means, 1.0);
  if (!p.ok()) {
    std::fprintf(stderr, "headkv heads show: %s\n", p.status().to_string().c_str());
    return 1;
  }
  const auto& t = *table;
  int zero = static_cast<int>(std::count(t.means.begin(), t.means.end(), 0.0));
  double sum = std::accumulate(t.means.begin(), t.means.end(), 0.0);
  std::printf(
      "# scores: %s\n# %d layers x %d heads, %d tests per head, %d heads with mean 0, sum of means "
      "%.4f\n",
      path->c_str(), t.num_layers, t.num_heads, t.num_samples, zero, sum);
  std::vector<int> order(p->size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return (*p)[a] > (*p)[b]; });
  std::printf("top heads (layer-head: normalised, mean):\n");
  for (int i = 0; i < std::min<int>(o.top, static_cast<int>(order.size())); ++i) {
    int k = order[i];
    std::printf("  %2d. %d-%d  %.5f  %.5f\n", i + 1, k / t.num_heads, k % t.num_heads, (*p)[k],
                t.means[k]);
  }
  std::printf("per-layer sums of the normalised distribution:\n");
  for (int l = 0; l < t.num_layers; ++l) {
    double s = 0;
    for (int h = 0; h < t.num_heads; ++h) {
      s += (*p)[static_cast<size_t>(l) * t.num_heads + h];
    }
    std::printf("  L%02d %.4f %s\n", l, s, std::string(static_cast<size_t>(s * 200), '#').c_str());
  }
  if (!o.svg.empty()) {
    std::ofstream out(o.svg);
    out << head_heatmap_svg(t, *p, o.scores);
    if (!out) {
      std::fprintf(stderr, "headkv heads show: cannot write %s\n", o.svg.c_str());
      return 1;
    }
    std::printf("heatmap: %s\n", o.svg.c_str());
  }
  return 0;
}

}  // namespace hkv::cli
