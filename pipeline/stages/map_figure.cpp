#include "pipeline/stages/map_figure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace prospector {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kEarthRadius = 6378137.0; // WGS 84 semi-major axis, metres

std::string num(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

std::string px(double v) { return num(v, 1); }

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '\'')
      o += "&#39;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

// Decimals that show every tick of spacing `step` distinctly.
int decimals_for(double step) {
  if (step >= 1.0) return 0;
  return std::min(8, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

// Rough width of a label in the figure's 11 px sans-serif (average glyph about 0.6 em).
double text_width(const std::string& s, double font = 11.0) {
  return 0.6 * font * static_cast<double>(s.size());
}

std::string box(double x, double y, double w, double h) {
  return " data-box='" + px(x) + " " + px(y) + " " + px(w) + " " + px(h) + "'";
}

struct Tick {
  double pos;
  std::string label;
};

// Ticks at multiples of a nice step inside [lo, hi], mapped to pixels by `to_px`; the step grows until labels
// `min_gap` pixels apart fit.
template <class F>
std::vector<Tick> axis_ticks(double lo, double hi, double length_px, bool along_x, const std::string& suffix,
                             F to_px) {
  std::vector<Tick> ticks;
  if (!(hi > lo) || !(length_px > 0)) return ticks;
  for (int count = 6; count >= 2; --count) {
    const double step = nice_tick_step(hi - lo, count);
    const int dec = decimals_for(step);
    ticks.clear();
    const double k0 = std::ceil(lo / step - 1e-9), k1 = std::floor(hi / step + 1e-9);
    for (double k = k0; k <= k1 && ticks.size() < 64; k += 1.0) {
      const double v = k * step;
      ticks.push_back({to_px(v), num(v == 0.0 ? 0.0 : v, dec) + suffix});
    }
    double widest = 0;
    for (const auto& t : ticks)
      widest = std::max(widest, along_x ? text_width(t.label) : 11.0);
    const double gap = ticks.size() > 1 ? std::fabs(ticks[1].pos - ticks[0].pos) : length_px;
    if (gap >= widest + 10 || count == 2) break;
  }
  return ticks;
}

// Word-wrapped lines of at most `width` pixels.
std::vector<std::string> wrap(const std::string& text, double width) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string word, line;
  while (in >> word) {
    const std::string next = line.empty() ? word : line + " " + word;
    if (!line.empty() && text_width(next) > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

} // namespace

double nice_floor(double x) {
  if (!(x > 0) || !std::isfinite(x)) return 0.0;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  const double m = x / p;
  // The small tolerance keeps 5000 from becoming 2000 through rounding of log10.
  return (m >= 5.0 - 1e-9 ? 5.0 : m >= 2.0 - 1e-9 ? 2.0 : 1.0) * p;
}

double nice_tick_step(double span, int count) {
  if (!(span > 0) || count < 1) return 1.0;
  const double raw = span / count;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / p;
  return (m <= 1.0 + 1e-9 ? 1.0 : m <= 2.0 + 1e-9 ? 2.0 : m <= 5.0 + 1e-9 ? 5.0 : 10.0) * p;
}

ScaleBar scale_bar(double units_per_pixel, double max_pixels, const std::string& units, double latitude) {
  ScaleBar s;
  if (!(units_per_pixel > 0) || !(max_pixels > 0)) return s;
  // Ground length of one map unit: metres for degrees of longitude at the latitude, else one unit.
  const bool geographic = units == "degree";
  const double ground_per_unit =
      geographic ? kEarthRadius * kPi / 180.0 * std::max(1e-6, std::cos(latitude * kPi / 180.0)) : 1.0;
  const double ground = nice_floor(max_pixels * units_per_pixel * ground_per_unit);
  if (!(ground > 0)) return s;
  s.map_units = ground / ground_per_unit;
  s.pixels = s.map_units / units_per_pixel;
  const bool metres = geographic || units == "m";
  if (metres && ground >= 1000.0)
    s.label = num(ground / 1000.0, decimals_for(ground / 1000.0)) + " km";
  else if (metres)
    s.label = num(ground, decimals_for(ground)) + " m";
  else
    s.label = num(ground, decimals_for(ground)) + " " + units;
  return s;
}

std::string map_figure_svg(const MapFigureSpec& m) {
  const double cols = std::max(1, m.image_cols), rows = std::max(1, m.image_rows);
  const double scale = std::min(m.max_image_pixels / cols, m.max_image_pixels / rows);
  const double dw = cols * scale, dh = std::max(1.0, rows * scale);
  const double L = 74, T = 12;
  const double W = std::max(L + dw + 24, 580.0);
  const bool geographic = m.units == "degree";
  const std::string suffix = geographic ? "\u00b0" : "";
  std::ostringstream s;

  // Map image and frame.
  std::ostringstream body;
  body << "<g class='map'" << box(L, T, dw, dh) << "><image x='" << px(L) << "' y='" << px(T) << "' width='"
       << px(dw) << "' height='" << px(dh)
       << "' preserveAspectRatio='none' style='image-rendering:pixelated' href='" << m.image_uri
       << "'/><rect x='" << px(L) << "' y='" << px(T) << "' width='" << px(dw) << "' height='" << px(dh)
       << "' fill='none' stroke='#222' stroke-width='1'/></g>";

  // Easting ticks below the frame, northing ticks left of it.
  const auto xt = axis_ticks(m.x0, m.x0 + m.width, dw, true, suffix,
                             [&](double v) { return L + (v - m.x0) / m.width * dw; });
  const std::string xtitle = std::string(geographic ? "longitude" : "easting") + " (" +
                             (geographic ? "degrees" : m.units) + ")" +
                             (m.crs_label.empty() ? "" : ", " + m.crs_label);
  body << "<g class='x-axis'" << box(L - 40, T + dh, dw + 80, 36) << " font-size='11' text-anchor='middle'>";
  for (const auto& t : xt)
    body << "<line x1='" << px(t.pos) << "' y1='" << px(T + dh) << "' x2='" << px(t.pos) << "' y2='"
         << px(T + dh + 5) << "' stroke='#222'/><text x='" << px(t.pos) << "' y='" << px(T + dh + 16) << "'>"
         << esc(t.label) << "</text>";
  body << "<text x='" << px(L + dw / 2) << "' y='" << px(T + dh + 31) << "'>" << esc(xtitle) << "</text></g>";
  const auto yt = axis_ticks(m.y0 - m.height, m.y0, dh, false, suffix,
                             [&](double v) { return T + (m.y0 - v) / m.height * dh; });
  const std::string ytitle =
      std::string(geographic ? "latitude" : "northing") + " (" + (geographic ? "degrees" : m.units) + ")";
  body << "<g class='y-axis'" << box(0, T - 6, L, dh + 12) << " font-size='11'>";
  for (const auto& t : yt)
    body << "<line x1='" << px(L - 5) << "' y1='" << px(t.pos) << "' x2='" << px(L) << "' y2='" << px(t.pos)
         << "' stroke='#222'/><text x='" << px(L - 7) << "' y='" << px(t.pos + 3.5) << "' text-anchor='end'>"
         << esc(t.label) << "</text>";
  body << "<text x='12' y='" << px(T + dh / 2) << "' text-anchor='middle' transform='rotate(-90 12 "
       << px(T + dh / 2) << ")'>" << esc(ytitle) << "</text></g>";

  // Furniture row: colour bar, scale bar, north arrow.
  const double py = T + dh + 50;
  const double cbw = 200, cbh = 12;
  body << "<defs><linearGradient id='ramp' x1='0' x2='1' y1='0' y2='0'>";
  for (size_t i = 0; i < m.ramp_stops.size(); ++i)
    body << "<stop offset='"
         << num(m.ramp_stops.size() > 1 ? static_cast<double>(i) / (m.ramp_stops.size() - 1) : 0.0, 3)
         << "' stop-color='" << esc(m.ramp_stops[i]) << "'/>";
  body << "</linearGradient></defs>";
  body << "<g class='colourbar'" << box(L - 10, py, cbw + 20, 46) << " font-size='11'><text x='" << px(L)
       << "' y='" << px(py + 10) << "'>" << esc(m.value_label) << "</text><rect x='" << px(L) << "' y='"
       << px(py + 16) << "' width='" << px(cbw) << "' height='" << px(cbh)
       << "' fill='url(#ramp)' stroke='#222'/>";
  for (int k = 0; k <= 5; ++k) {
    const double x = L + cbw * k / 5.0;
    body << "<line x1='" << px(x) << "' y1='" << px(py + 16 + cbh) << "' x2='" << px(x) << "' y2='"
         << px(py + 20 + cbh) << "' stroke='#222'/><text x='" << px(x) << "' y='" << px(py + 32 + cbh)
         << "' text-anchor='middle'>" << num(0.2 * k, 1) << "</text>";
  }
  body << "</g>";

  const double sbx = L + cbw + 40;
  const double north_x = W - 34;
  const double units_per_px = m.width / dw;
  const double lat = m.y0 - m.height / 2;
  const ScaleBar sb =
      scale_bar(units_per_px, std::max(20.0, std::min(180.0, north_x - 30 - sbx)), m.units, lat);
  body << "<g class='scalebar'" << box(sbx - 10, py, std::max(40.0, sb.pixels + 20), 46)
       << " font-size='11'>";
  if (sb.pixels > 0) {
    const double half = sb.pixels / 2;
    body << "<text x='" << px(sbx + half) << "' y='" << px(py + 10) << "' text-anchor='middle'>"
         << (geographic ? "along the parallel at the centre latitude" : "scale") << "</text><rect x='"
         << px(sbx) << "' y='" << px(py + 16) << "' width='" << px(half)
         << "' height='8' fill='#222' stroke='#222'/><rect x='" << px(sbx + half) << "' y='" << px(py + 16)
         << "' width='" << px(half) << "' height='8' fill='#fff' stroke='#222'/><text x='" << px(sbx)
         << "' y='" << px(py + 38) << "' text-anchor='middle'>0</text><text x='" << px(sbx + sb.pixels)
         << "' y='" << px(py + 38) << "' text-anchor='middle'>" << esc(sb.label) << "</text>";
  }
  body << "</g>";
  body << "<g class='north'" << box(north_x - 14, py, 28, 46) << "><title>"
       << (geographic ? "north" : "grid north (map up)") << "</title><polygon points='" << px(north_x) << ","
       << px(py + 2) << " " << px(north_x - 9) << "," << px(py + 30) << " " << px(north_x) << ","
       << px(py + 23) << " " << px(north_x + 9) << "," << px(py + 30) << "' fill='#222'/><text x='"
       << px(north_x) << "' y='" << px(py + 44)
       << "' font-size='13' font-weight='bold' text-anchor='middle'>N</text></g>";

  // Legend: one entry per line, wrapped to the figure's width.
  const double ly = py + 62;
  std::ostringstream legend;
  double y = ly;
  for (const auto& it : m.legend) {
    const double tx = it.colour.empty() ? L : L + 20;
    const auto lines = wrap(it.text, W - tx - 8);
    if (!it.colour.empty()) {
      if (it.swatch == LegendItem::Swatch::Outline)
        legend << "<rect x='" << px(L + 1) << "' y='" << px(y + 1)
               << "' width='11' height='11' fill='#3b528b' "
               << "stroke='" << esc(it.colour) << "' stroke-width='2'/>";
      else
        legend << "<rect x='" << px(L) << "' y='" << px(y) << "' width='13' height='13' fill='"
               << esc(it.colour) << "' stroke='#444'/>";
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      legend << "<text x='" << px(tx) << "' y='" << px(y + 11) << "'>" << esc(lines[i]) << "</text>";
      y += 17;
    }
  }
  const double H = y + 8;
  body << "<g class='legend'" << box(L - 4, ly - 4, W - L, y - ly + 8) << " font-size='11'>" << legend.str()
       << "</g>";

  s << "<svg class='map' xmlns='http://www.w3.org/2000/svg' width='" << px(W) << "' height='" << px(H)
    << "' viewBox='0 0 " << px(W) << " " << px(H) << "' role='img' font-family='sans-serif'><title>"
    << esc(m.value_label) << (m.crs_label.empty() ? "" : " (" + m.crs_label + ")") << "</title>"
    << "<rect width='100%' height='100%' fill='#fff'/>" << body.str() << "</svg>";
  return s.str();
}

} // namespace prospector
