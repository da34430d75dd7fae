// Needle-in-a-haystack heatmaps people can read: every config of a sweep side by side in one SVG
// figure on a shared colour scale (the reference's colormap, 0 to 1) with a colour-bar legend,
// each cell's value printed in it, axes labelled (context length in tokens, depth %), and titles
// sized to fit their panel.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hkv::results {

// One config's panel: its title and per-cell scores keyed by "length:depth".
struct HeatmapPanel {
  std::string title;
  std::map<std::string, std::vector<double>> cells;
};

// The reference's colour for a score in [0, 1] (#F0496E at 0, #EBB839 at 0.5, #0CD79F at 1), as
// "#rrggbb"; scores outside [0, 1] are clamped.
std::string heatmap_colour(double score);

// One panel as a standalone figure (with the legend).
std::string needle_heatmap_svg(const HeatmapPanel& panel);

// Every panel side by side (wrapping after `per_row` panels) sharing one colour scale and legend.
std::string needle_heatmaps_svg(const std::vector<HeatmapPanel>& panels, int per_row = 4);

}  // namespace hkv::results
