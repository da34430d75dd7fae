// The per-head score heatmap (layers x heads) of `headkv heads show` and the sweep's score files.
#include "results/head_heatmap.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace hkv::results {
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

}  // namespace hkv::results
