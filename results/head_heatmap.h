// The per-head score heatmap: one cell per (layer, head), white (0) to dark red (the maximum) on a
// square-root scale, as SVG.
#pragma once

#include <string>
#include <vector>

#include "head_scores/score_file.h"

namespace hkv::results {

// `p`: per-head scores, layer-major; `title` names the scores.
std::string head_heatmap_svg(const head_scores::HeadScoreTable& table,
                             const std::vector<double>& p,
                             const std::string& title);

}  // namespace hkv::results
