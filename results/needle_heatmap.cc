// SVG needle heatmaps: panels of length x depth cells, a shared colour bar, values in the cells.
#include "results/needle_heatmap.h"

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace hkv::results {
namespace {

constexpr int kCellW = 46;    // a cell's width (px)
constexpr int kCellH = 22;    // and height
constexpr int kAxisW = 58;    // room for the depth labels and the y-axis title
constexpr int kTitleH = 34;   // room for the panel title
constexpr int kBottomH = 40;  // room for the length labels and the x-axis title
constexpr int kLegendW = 90;  // the colour bar and its ticks

struct Grid {
  std::vector<int> lengths, depths;
};

Grid grid_of(const std::vector<HeatmapPanel>& panels) {
  std::set<int> lengths, depths;
  for (const HeatmapPanel& p : panels) {
    for (const auto& [key, v] : p.cells) {
      size_t c = key.find(':');
      lengths.insert(std::stoi(key.substr(0, c)));
      depths.insert(std::stoi(key.substr(c + 1)));
    }
  }
  return {{lengths.begin(), lengths.end()}, {depths.begin(), depths.end()}};
}

// At least wide enough for a title of ~32 characters at 11 px.
int panel_width(const Grid& g) {
  return std::max(kAxisW + kCellW * static_cast<int>(std::max<size_t>(1, g.lengths.size())) + 16,
                  240);
}

int panel_height(const Grid& g) {
  return kTitleH + kCellH * static_cast<int>(std::max<size_t>(1, g.depths.size())) + kBottomH;
}

// One panel with its top-left corner at (x0, y0).
std::string panel_svg(const HeatmapPanel& p, const Grid& g, int x0, int y0) {
  const int width = panel_width(g);
  // Titles fit their panel: the font shrinks (to 8 px) with the title's length, ~0.68 em a bold
  // char.
  const double room = width - 8;
  const double font = std::clamp(room / (0.68 * static_cast<double>(p.title.size())), 8.0, 13.0);
  std::string svg =
      strformat("<text x=\"%d\" y=\"%d\" font-size=\"%.1f\" font-weight=\"bold\">%s</text>\n",
                x0 + 4, y0 + 18, font, xml_escape(p.title).c_str());
  const int top = y0 + kTitleH, left = x0 + kAxisW;
  for (size_t yi = 0; yi < g.depths.size(); ++yi) {
    const int y = top + static_cast<int>(yi) * kCellH;
    svg += strformat("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d%%</text>\n", left - 4, y + 15,
                     g.depths[yi]);
    for (size_t xi = 0; xi < g.lengths.size(); ++xi) {
      const int x = left + static_cast<int>(xi) * kCellW;
      auto it = p.cells.find(std::to_string(g.lengths[xi]) + ":" + std::to_string(g.depths[yi]));
      if (it == p.cells.end() || it->second.empty()) {
        svg += strformat(
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eeeeee\"/>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#888888\">-</text>\n",
            x, y, kCellW - 1, kCellH - 1, x + kCellW / 2, y + 15);
        continue;
      }
      double s = 0;
      for (double v : it->second) {
        s += v;
      }
      s /= static_cast<double>(it->second.size());
      svg += strformat(
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s: length %d, "
          "depth %d%%: %.3f (%zu samples)</title></rect>"
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.2f</text>\n",
          x, y, kCellW - 1, kCellH - 1, heatmap_colour(s).c_str(), xml_escape(p.title).c_str(),
          g.lengths[xi], g.depths[yi], s, it->second.size(), x + kCellW / 2, y + 15, s);
    }
  }
  const int bottom = top + static_cast<int>(g.depths.size()) * kCellH;
  for (size_t xi = 0; xi < g.lengths.size(); ++xi) {
    svg += strformat("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d</text>\n",
                     left + static_cast<int>(xi) * kCellW + kCellW / 2, bottom + 14, g.lengths[xi]);
  }
  svg += strformat(
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">context length (tokens)</text>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">depth "
      "(%%)</text>\n",
      left + kCellW * static_cast<int>(g.lengths.size()) / 2, bottom + 32, x0 + 12,
      (top + bottom) / 2, x0 + 12, (top + bottom) / 2);
  return svg;
}

// The colour bar from 0 (bottom) to 1 (top), ticks every 0.25, at (x0, y0) with height h.
std::string legend_svg(int x0, int y0, int h) {
  std::string svg = "<defs><linearGradient id=\"hkv-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
  for (double t : {0.0, 0.5, 1.0}) {
    svg += strformat("<stop offset=\"%.1f\" stop-color=\"%s\"/>", t, heatmap_colour(t).c_str());
  }
  svg += "</linearGradient></defs>\n";
  svg += strformat("<text x=\"%d\" y=\"%d\">score</text>\n", x0, y0 - 6);
  svg += strformat(
      "<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"%d\" fill=\"url(#hkv-scale)\" "
      "stroke=\"#444444\"/>\n",
      x0, y0, h);
  for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    const int y = y0 + static_cast<int>((1.0 - t) * h);
    svg += strformat("<text x=\"%d\" y=\"%d\">%.2f</text>\n", x0 + 20, y + 4, t);
  }
  return svg;
}

std::string figure(const std::vector<HeatmapPanel>& panels, int per_row) {
  const Grid g = grid_of(panels);
  const int cols = std::max(1, std::min<int>(per_row, static_cast<int>(panels.size())));
  const int rows = (static_cast<int>(panels.size()) + cols - 1) / cols;
  const int pw = panel_width(g), ph = panel_height(g);
  const int width = cols * pw + kLegendW, height = std::max(rows * ph, 160);
  std::string svg = strformat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"sans-serif\" font-size=\"10\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"#ffffff\"/>\n",
      width, height);
  for (size_t i = 0; i < panels.size(); ++i) {
    const int r = static_cast<int>(i) / cols, c = static_cast<int>(i) % cols;
    svg += panel_svg(panels[i], g, c * pw, r * ph);
  }
  svg += legend_svg(cols * pw + 16, kTitleH, std::max(80, std::min(ph - kTitleH - kBottomH, 200)));
  return svg + "</svg>\n";
}

}  // namespace

std::string heatmap_colour(double s) {
  s = std::clamp(s, 0.0, 1.0);
  auto mix = [](int a, int b, double t) { return static_cast<int>(a + (b - a) * t); };
  int r, g, b;
  if (s < 0.5) {
    r = mix(0xF0, 0xEB, s * 2), g = mix(0x49, 0xB8, s * 2), b = mix(0x6E, 0x39, s * 2);
  } else {
    r = mix(0xEB, 0x0C, s * 2 - 1), g = mix(0xB8, 0xD7, s * 2 - 1), b = mix(0x39, 0x9F, s * 2 - 1);
  }
  return strformat("#%02x%02x%02x", r, g, b);
}

std::string needle_heatmap_svg(const HeatmapPanel& panel) {
  return figure({panel}, 1);
}

std::string needle_heatmaps_svg(const std::vector<HeatmapPanel>& panels, int per_row) {
  return figure(panels, per_row);
}

}  // namespace hkv::results
