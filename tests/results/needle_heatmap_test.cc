// Needle heatmaps: one figure with every config on a shared colour scale, values in the cells,
// labelled axes, a legend, and titles that fit their panel.
#include "results/needle_heatmap.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace hkv::results {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(NeedleHeatmapTest, TheReferenceColormapAtItsStops) {
  EXPECT_EQ(heatmap_colour(0.0), "#f0496e");
  EXPECT_EQ(heatmap_colour(0.5), "#ebb839");
  EXPECT_EQ(heatmap_colour(1.0), "#0cd79f");
  EXPECT_EQ(heatmap_colour(-3.0), "#f0496e");  // clamped
  EXPECT_EQ(heatmap_colour(7.0), "#0cd79f");
}

TEST(NeedleHeatmapTest, AllConfigsSideBySideWithValuesAxesAndOneLegend) {
  std::vector<HeatmapPanel> panels = {
      {"FullKV", {{"1000:0", {1.0}}, {"1000:50", {0.5, 1.0}}, {"2000:0", {0.25}}}},
      {"HeadKV-R2 B=128 beta=1.01 reference & a very long title that must still fit its panel",
       {{"1000:0", {0.0}}, {"2000:50", {1.0}}}}};
  std::string svg = needle_heatmaps_svg(panels);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count(svg, "<svg"), 1);
  EXPECT_EQ(count(svg, "</svg>"), 1);
  // Both panels, 2 lengths x 2 depths each: 8 cells, 3 + 2 with values, 3 empty.
  EXPECT_EQ(count(svg, "samples)</title>"), 5);
  EXPECT_EQ(count(svg, ">-</text>"), 3);
  EXPECT_NE(svg.find(">0.75</text>"), std::string::npos);  // the mean of 0.5 and 1.0
  EXPECT_NE(svg.find(">0.25</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "context length (tokens)"), 2);
  EXPECT_EQ(count(svg, "depth (%)"), 2);
  EXPECT_EQ(count(svg, "linearGradient id=\"hkv-scale\""), 1);        // one shared legend
  EXPECT_NE(svg.find("&amp; a very long title"), std::string::npos);  // escaped
  // The long title is set smaller than the short one so it fits its panel.
  EXPECT_NE(svg.find("font-size=\"13.0\" font-weight=\"bold\">FullKV"), std::string::npos);
  EXPECT_EQ(svg.find("font-size=\"13.0\" font-weight=\"bold\">HeadKV-R2"), std::string::npos);
}

}  // namespace
}  // namespace hkv::results
