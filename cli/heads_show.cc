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

namespace hkv::cli {
namespace {

// White (0) to dark red (max) on a square-root scale, so sparse retrieval maps stay readable.
std::string heat_color(double v, double max) {
  double t = max > 0 ? std::sqrt(std::clamp(v / max, 0.0, 1.0)) : 0.0;
  int g = static_cast<int>(255 * (1.0 - t)), r = static_cast<int>(255 - 90 * t);
  return strformat("#%02x%02x%02x", r, g, g);
}

}  // namespace

std::string head_heatmap_svg(const head_scores::HeadScoreTable& t,
                             const std::vector<double>& p,
                             const std::string& title) {
  const int cell = 14, left = 40, top = 40;
  int width = left + t.num_heads * cell + 20, height = top + t.num_layers * cell + 40;
  double max = *std::max_element(p.begin(), p.end());
  std::string svg = strformat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"sans-serif\" "
      "font-size=\"9\">\n<text x=\"%d\" y=\"16\" font-size=\"12\">%s (max %.4f)</text>\n",
      width, height, left, title.c_str(), max);
  for (int l = 0; l < t.num_layers; ++l) {
    svg += strformat("<text x=\"4\" y=\"%d\">L%d</text>\n", top + l * cell + 10, l);
    for (int h = 0; h < t.num_heads; ++h) {
      double v = p[static_cast<size_t>(l) * t.num_heads + h];
      svg += strformat(
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%d-%d: "
          "%.5f</title></rect>\n",
          left + h * cell, top + l * cell, cell - 1, cell - 1, heat_color(v, max).c_str(), l, h, v);
    }
  }
  for (int h = 0; h < t.num_heads; h += 4) {
    svg += strformat("<text x=\"%d\" y=\"%d\">h%d</text>\n", left + h * cell,
                     top + t.num_layers * cell + 12, h);
  }
  return svg + "</svg>\n";
}

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
