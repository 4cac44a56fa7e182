#pragma once
/// \file map_figure.hpp
/// The report's map figure: a quicklook image framed as a map, with easting/northing ticks on the frame, a
/// colour bar with values, a scale bar, a north arrow and a legend, as one self-contained SVG that scales to
/// the page. Pure text composition: the caller supplies the encoded image and the map geometry.

#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// A "nice" number (1, 2 or 5 times a power of ten) not above `x` (> 0).
double nice_floor(double x);

/// The tick spacing of an axis of length `span` map units with about `count` ticks: 1, 2 or 5 times a power
/// of ten.
double nice_tick_step(double span, int count);

/// Scale bar: its length in map units, its on-screen length in pixels and its label ("5 km", "200 m",
/// "1000 US survey foot").
struct ScaleBar {
  double map_units = 0.0; ///< length in map units (degrees of longitude for a geographic CRS)
  double pixels = 0.0;    ///< drawn length
  std::string label;      ///< the ground length it shows
};

/// The longest nice ground length that fits in `max_pixels` when one pixel spans `units_per_pixel` map units.
/// `units` is the CRS's linear unit ("m", "degree", or a unit name); for "degree" the ground length is taken
/// along the parallel at `latitude` (degrees) on a sphere of the WGS 84 semi-major axis.
ScaleBar scale_bar(double units_per_pixel, double max_pixels, const std::string& units, double latitude);

/// One legend entry: a swatch and its text.
struct LegendItem {
  enum class Swatch { Outline, Square, Fill };
  Swatch swatch = Swatch::Square;
  std::string colour; ///< CSS colour of the swatch
  std::string text;   ///< plain text (escaped by the figure)
};

/// Everything the map figure needs.
struct MapFigureSpec {
  std::string image_uri;               ///< data: URI of the quicklook (north up, `image_cols` x `image_rows`)
  int image_cols = 0;                  ///< quicklook width in pixels
  int image_rows = 0;                  ///< quicklook height in pixels
  double x0 = 0.0;                     ///< west edge of the map (map units)
  double y0 = 0.0;                     ///< north edge of the map (map units)
  double width = 0.0;                  ///< east minus west (map units)
  double height = 0.0;                 ///< north minus south (map units)
  std::string units = "m";             ///< linear unit of the CRS; "degree" for a geographic CRS
  std::string crs_label;               ///< shown with the axis titles, e.g. "EPSG:28350"
  std::string value_label;             ///< colour bar title, e.g. "prospectivity_cu"
  std::vector<std::string> ramp_stops; ///< CSS colours of the colour bar from 0 to 1, evenly spaced
  std::vector<LegendItem> legend;      ///< what the map draws besides the colours
  int max_image_pixels = 560;          ///< the image is scaled to fit this box on the page
};

/// The figure as an `<svg class='map'>` element. Each piece of furniture is a `<g>` whose `data-box`
/// attribute holds its bounding box "x y w h" in SVG pixels (the SVG has no other transform), so a renderer
/// test can check each region: map, x-axis, y-axis, colourbar, scalebar, north, legend.
std::string map_figure_svg(const MapFigureSpec& spec);

} // namespace prospector
