#include "pipeline/stages/map_figure.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>

using namespace prospector;

TEST_CASE("map figure: nice numbers for ticks and scale bars") {
  CHECK(nice_floor(9000) == 5000);
  CHECK(nice_floor(5000) == 5000);
  CHECK(nice_floor(4999) == 2000);
  CHECK(nice_floor(1.9) == 1);
  CHECK(nice_floor(0.037) == Approx(0.02));
  CHECK(nice_floor(0) == 0);
  CHECK(nice_tick_step(10000, 6) == 2000);
  CHECK(nice_tick_step(10000, 5) == 2000);
  CHECK(nice_tick_step(10000, 4) == 5000);
  CHECK(nice_tick_step(0.9, 3) == Approx(0.5));
}

TEST_CASE("map figure: the scale bar's pixels are its ground length at the map's scale") {
  // 50 m per pixel, at most 180 px: 9 km fit, 5 km is the nice length, 100 px.
  ScaleBar m = scale_bar(50.0, 180.0, "m", 0.0);
  CHECK(m.label == "5 km");
  CHECK(m.map_units == 5000.0);
  CHECK(m.pixels == Approx(100.0));
  ScaleBar small = scale_bar(1.0, 150.0, "m", 0.0);
  CHECK(small.label == "100 m");
  ScaleBar ft = scale_bar(10.0, 180.0, "US survey foot", 0.0);
  CHECK(ft.label == "1000 US survey foot");
  CHECK(ft.pixels == Approx(100.0));
  // Geographic: a degree of longitude at 60 N is half the equatorial degree, 55.66 km.
  ScaleBar g = scale_bar(0.001, 180.0, "degree", 60.0);
  CHECK(g.label == "10 km");
  const double km_per_degree = 6378137.0 * 3.14159265358979323846 / 180.0 * 0.5 / 1000.0;
  CHECK(g.map_units == Approx(10.0 / km_per_degree).epsilon(1e-9));
  CHECK(g.pixels == Approx(10.0 / km_per_degree / 0.001).epsilon(1e-9));
  CHECK(scale_bar(0.0, 100.0, "m", 0.0).pixels == 0.0);
}

namespace {

MapFigureSpec demo_spec() {
  MapFigureSpec m;
  m.image_uri = "data:image/png;base64,AAAA";
  m.image_cols = 560;
  m.image_rows = 280;
  m.x0 = 500000;
  m.y0 = 7010000;
  m.width = 10000;
  m.height = 5000;
  m.crs_label = "EPSG:28350";
  m.value_label = "prospectivity_cu (0 to 1)";
  m.ramp_stops = {"rgb(68,1,84)", "rgb(253,231,37)"};
  m.legend = {{LegendItem::Swatch::Outline, "#ffffff", "targets"},
              {LegendItem::Swatch::Square, "rgb(230,20,20)", "training deposits (3)"}};
  return m;
}

} // namespace

TEST_CASE("map figure: frame ticks in map coordinates, colour bar, scale bar, north arrow and legend") {
  const std::string svg = map_figure_svg(demo_spec());
  for (const char* g : {"map", "x-axis", "y-axis", "colourbar", "scalebar", "north", "legend"})
    CHECK(svg.find(std::string("<g class='") + g + "' data-box='") != std::string::npos);
  // 560 px for 10 km: eastings every 2 km at 112 px, from the frame's left edge (x = 74).
  CHECK(svg.find("<text x='74.0' y='308.0'>500000</text>") != std::string::npos);
  CHECK(svg.find("<text x='186.0' y='308.0'>502000</text>") != std::string::npos);
  CHECK(svg.find(">510000</text>") != std::string::npos);
  CHECK(svg.find(">512000</text>") == std::string::npos);
  // Northings 7005000..7010000, the top one at the frame's top edge (y = 12).
  CHECK(svg.find("y='15.5' text-anchor='end'>7010000</text>") != std::string::npos);
  CHECK(svg.find(">7005000</text>") != std::string::npos);
  CHECK(svg.find("easting (m), EPSG:28350") != std::string::npos);
  // Colour bar 0..1 with the ramp's stops; scale bar at 10000/560 m per pixel: 2 km in 112 px.
  CHECK(svg.find("stop-color='rgb(253,231,37)'") != std::string::npos);
  CHECK(svg.find(">0.6</text>") != std::string::npos);
  CHECK(svg.find("width='56.0' height='8' fill='#222'") != std::string::npos);
  CHECK(svg.find(">2 km</text>") != std::string::npos);
  CHECK(svg.find(">N</text>") != std::string::npos);
  CHECK(svg.find(">training deposits (3)</text>") != std::string::npos);
}

TEST_CASE("map figure: long legend entries wrap inside the figure, text is escaped, degrees are labelled") {
  MapFigureSpec m = demo_spec();
  m.value_label = "a<b & c";
  m.legend = {{LegendItem::Swatch::Fill, "",
               std::string(40, 'x') + " " + std::string(40, 'y') + " " + std::string(40, 'z')}};
  std::string svg = map_figure_svg(m);
  CHECK(svg.find("a&lt;b &amp; c") != std::string::npos);
  CHECK(svg.find("a<b") == std::string::npos);
  // 658 px wide (74 + 560 + 24): three 40-character words (264 px each) need at least two lines.
  const std::regex line(">[xyz ]{40,}</text>");
  CHECK(std::distance(std::sregex_iterator(svg.begin(), svg.end(), line), std::sregex_iterator()) >= 2);
  const std::regex width("<svg class='map'[^>]* width='([0-9.]+)'");
  std::smatch mw;
  REQUIRE(std::regex_search(svg, mw, width));
  CHECK(std::stod(mw[1]) == 658.0);

  m.units = "degree";
  m.x0 = 20.0;
  m.y0 = 61.0;
  m.width = 1.0;
  m.height = 0.5;
  m.crs_label = "EPSG:4326";
  svg = map_figure_svg(m);
  CHECK(svg.find("longitude (degrees), EPSG:4326") != std::string::npos);
  CHECK(svg.find(">20.2\u00b0</text>") != std::string::npos);
  CHECK(svg.find("along the parallel at the centre latitude") != std::string::npos);
}
