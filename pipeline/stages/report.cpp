#include "pipeline/stages/report.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/training.hpp"
#include "pipeline/stages/map_figure.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <cpl_vsi.h>
#include <gdal_alg.h>
#include <ogr_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace prospector {

using nlohmann::json;

namespace {

// The flags of one weights-of-evidence class as written by the learn stage ("no_deposits, w_plus_zero").
std::string flag_text(const nlohmann::json& cl) {
  std::string out;
  for (const auto& n : cl.value("flag_names", nlohmann::json::array()))
    out += (out.empty() ? "" : ", ") + n.get<std::string>();
  return out;
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
    case '<':
      o += "&lt;";
      break;
    case '>':
      o += "&gt;";
      break;
    case '&':
      o += "&amp;";
      break;
    case '"':
      o += "&quot;";
      break;
    default:
      o += c;
    }
  }
  return o;
}

std::string base64(const unsigned char* p, size_t n) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  for (size_t i = 0; i < n; i += 3) {
    const unsigned v = (p[i] << 16) | ((i + 1 < n ? p[i + 1] : 0) << 8) | (i + 2 < n ? p[i + 2] : 0);
    o += t[(v >> 18) & 63];
    o += t[(v >> 12) & 63];
    o += i + 1 < n ? t[(v >> 6) & 63] : '=';
    o += i + 2 < n ? t[v & 63] : '=';
  }
  return o;
}

// A perceptually ordered ramp (dark blue -> green -> yellow), close to viridis.
void ramp(double v, unsigned char rgb[3]) {
  static const double stops[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  v = std::clamp(v, 0.0, 1.0) * 4.0;
  const int i = std::min(3, static_cast<int>(v));
  const double f = v - i;
  for (int k = 0; k < 3; ++k)
    rgb[k] = static_cast<unsigned char>(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]));
}

std::string fmt(double v, int prec = 3) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

struct Quicklook {
  std::string uri;        // PNG data URI
  int cols = 0, rows = 0; // its size in pixels
  std::int64_t step = 1;  // grid cells per pixel along each axis
};

// Quicklook of a prospectivity layer with target outlines and deposit markers.
Quicklook quicklook(const Plan& p, const std::string& layer, const CommodityTargets* targets,
                    const std::vector<std::pair<DepositPoint, bool>>& deposits) {
  const std::int64_t step = std::max<std::int64_t>(1, (std::max(p.grid.nx, p.grid.ny) + 699) / 700);
  const int qx = static_cast<int>((p.grid.nx + step - 1) / step),
            qy = static_cast<int>((p.grid.ny + step - 1) / step);
  std::vector<unsigned char> r(static_cast<size_t>(qx) * qy), g(r.size()), b(r.size());
  std::vector<float> tile;
  for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
    const Window w = p.tiles.window(t);
    read_tile(p.work.layer_tile(layer, t), w, tile);
    for (std::int64_t rr = 0; rr < w.rows; ++rr) {
      const std::int64_t gr = w.row0 + rr;
      if (gr % step) continue;
      for (std::int64_t cc = 0; cc < w.cols; ++cc) {
        const std::int64_t gc = w.col0 + cc;
        if (gc % step) continue;
        const size_t q = static_cast<size_t>((gr / step) * qx + gc / step);
        const float v = tile[static_cast<size_t>(rr * w.cols + cc)];
        unsigned char c[3] = {230, 230, 230};
        if (!std::isnan(v)) ramp(v, c);
        r[q] = c[0];
        g[q] = c[1];
        b[q] = c[2];
      }
    }
  }
  gdal::ensure_initialized();
  gdal::Dataset mem(GDALCreate(GDALGetDriverByName("MEM"), "", qx, qy, 3, GDT_Byte, nullptr));
  double gt[6] = {p.grid.x0, p.grid.cell * static_cast<double>(step), 0, p.grid.y0,
                  0,         -p.grid.cell * static_cast<double>(step)};
  GDALSetGeoTransform(mem.get(), gt);
  unsigned char* planes[3] = {r.data(), g.data(), b.data()};
  for (int k = 0; k < 3; ++k)
    if (GDALRasterIO(GDALGetRasterBand(mem.get(), k + 1), GF_Write, 0, 0, qx, qy, planes[k], qx, qy, GDT_Byte,
                     0, 0) != CE_None)
      throw_runtime("report: cannot build the quicklook of " + layer);
  // Target outlines (white) and deposits (red squares: training; orange: test).
  std::vector<OGRGeometryH> lines;
  if (targets)
    for (const auto& t : targets->targets)
      for (const auto& poly : t.polygons)
        for (const auto& ring : poly) {
          OGRGeometryH ls = OGR_G_CreateGeometry(wkbLineString);
          for (const auto& pt : ring)
            OGR_G_AddPoint_2D(ls, pt[0], pt[1]);
          lines.push_back(ls);
        }
  int bands[3] = {1, 2, 3};
  if (!lines.empty()) {
    std::vector<double> burn(lines.size() * 3, 255.0);
    GDALRasterizeGeometries(mem.get(), 3, bands, static_cast<int>(lines.size()), lines.data(), nullptr,
                            nullptr, burn.data(), nullptr, nullptr, nullptr);
  }
  for (auto l : lines)
    OGR_G_DestroyGeometry(l);
  std::vector<OGRGeometryH> marks;
  std::vector<double> burn;
  const double half = p.grid.cell * static_cast<double>(step) * 3;
  for (const auto& [d, is_test] : deposits) {
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, d.x - half, d.y - half);
    OGR_G_AddPoint_2D(ring, d.x + half, d.y - half);
    OGR_G_AddPoint_2D(ring, d.x + half, d.y + half);
    OGR_G_AddPoint_2D(ring, d.x - half, d.y + half);
    OGR_G_AddPoint_2D(ring, d.x - half, d.y - half);
    OGR_G_AddGeometryDirectly(poly, ring);
    marks.push_back(poly);
    burn.insert(burn.end(), {230.0, is_test ? 140.0 : 20.0, 20.0});
  }
  if (!marks.empty())
    GDALRasterizeGeometries(mem.get(), 3, bands, static_cast<int>(marks.size()), marks.data(), nullptr,
                            nullptr, burn.data(), nullptr, nullptr, nullptr);
  for (auto m : marks)
    OGR_G_DestroyGeometry(m);
  const std::string vsi = "/vsimem/prospector_quicklook_" + layer + ".png";
  // zlib's fastest level: the quicklooks are a few hundred KiB, and level 6 took an eighth of publish.
  const char* png_options[] = {"ZLEVEL=1", nullptr};
  GDALDatasetH png = GDALCreateCopy(GDALGetDriverByName("PNG"), vsi.c_str(), mem.get(), FALSE,
                                    const_cast<char**>(png_options), nullptr, nullptr);
  if (!png) throw_runtime("report: cannot encode the quicklook of " + layer + ": " + gdal::last_error());
  GDALClose(png);
  vsi_l_offset len = 0;
  GByte* data = VSIGetMemFileBuffer(vsi.c_str(), &len, FALSE);
  const std::string uri = "data:image/png;base64," + base64(data, static_cast<size_t>(len));
  VSIUnlink(vsi.c_str());
  VSIUnlink((vsi + ".aux.xml").c_str());
  return {uri, qx, qy, step};
}

// The map's legend: only what the map shows.
std::vector<LegendItem> map_legend(const CommodityTargets* ct,
                                   const std::vector<std::pair<DepositPoint, bool>>& deps) {
  std::vector<LegendItem> items;
  if (ct)
    items.push_back({LegendItem::Swatch::Outline, "#ffffff",
                     "targets (white outlines): connected cells scoring at least " + fmt(ct->threshold)});
  std::int64_t train = 0, test = 0;
  for (const auto& d : deps)
    ++(d.second ? test : train);
  if (train)
    items.push_back(
        {LegendItem::Swatch::Square, "rgb(230,20,20)", "training deposits (" + std::to_string(train) + ")"});
  if (test)
    items.push_back(
        {LegendItem::Swatch::Square, "rgb(230,140,20)", "test deposits (" + std::to_string(test) + ")"});
  if (deps.empty())
    items.push_back({LegendItem::Swatch::Fill, "", "no known deposits given for this commodity"});
  items.push_back({LegendItem::Swatch::Fill, "rgb(230,230,230)", "no data"});
  return items;
}

std::string map_figure(const Plan& p, const std::string& layer, const CommodityTargets* ct,
                       const std::vector<std::pair<DepositPoint, bool>>& deps) {
  const Quicklook q = quicklook(p, layer, ct, deps);
  MapFigureSpec m;
  m.image_uri = q.uri;
  m.image_cols = q.cols;
  m.image_rows = q.rows;
  m.x0 = p.grid.x0;
  m.y0 = p.grid.y0;
  // The image's own extent: its last row and column may reach past the grid's edge.
  m.width = p.grid.cell * static_cast<double>(q.step) * q.cols;
  m.height = p.grid.cell * static_cast<double>(q.step) * q.rows;
  m.units = p.grid.units;
  m.crs_label = p.grid.epsg ? "EPSG:" + std::to_string(p.grid.epsg) : "";
  m.value_label = layer + " (0 to 1)";
  for (int k = 0; k <= 4; ++k) {
    unsigned char c[3];
    ramp(k / 4.0, c);
    m.ramp_stops.push_back("rgb(" + std::to_string(c[0]) + "," + std::to_string(c[1]) + "," +
                           std::to_string(c[2]) + ")");
  }
  m.legend = map_legend(ct, deps);
  return map_figure_svg(m);
}

std::string svg_curves(const json& cj) {
  std::ostringstream s;
  const int W = 320, H = 320, M = 40;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W + 2 * M << "' height='" << H + 2 * M
    << "' role='img'><rect x='" << M << "' y='" << M << "' width='" << W << "' height='" << H
    << "' fill='white' stroke='#444'/><line x1='" << M << "' y1='" << M + H << "' x2='" << M + W << "' y2='"
    << M << "' stroke='#aaa' stroke-dasharray='4'/>";
  struct C {
    const char* key;
    const char* colour;
    const char* label;
  };
  int row = 0;
  for (const C& c :
       {C{"success_rate", "#1f77b4", "success rate"}, C{"prediction_rate", "#d62728", "prediction rate"}}) {
    if (!cj.contains(c.key)) continue;
    const auto& xs = cj[c.key]["area_fraction"];
    const auto& ys = cj[c.key]["deposit_fraction"];
    s << "<polyline fill='none' stroke='" << c.colour << "' stroke-width='2' points='";
    for (size_t i = 0; i < xs.size(); ++i)
      s << fmt(M + xs[i].get<double>() * W, 1) << "," << fmt(M + H - ys[i].get<double>() * H, 1) << " ";
    s << "'/><text x='" << M + 10 << "' y='" << M + 20 + 18 * row++ << "' fill='" << c.colour
      << "' font-size='13'>" << c.label << " AUC " << fmt(cj[c.key]["auc"].get<double>()) << "</text>";
  }
  // Ticks and numbers every 0.2 on both axes.
  for (int k = 0; k <= 5; ++k) {
    const double v = 0.2 * k;
    const double x = M + v * W, y = M + H - v * H;
    s << "<line x1='" << fmt(x, 1) << "' y1='" << M + H << "' x2='" << fmt(x, 1) << "' y2='" << M + H + 5
      << "' stroke='#444'/><text x='" << fmt(x - 8, 1) << "' y='" << M + H + 17 << "' font-size='11'>"
      << fmt(v, 1) << "</text><line x1='" << M - 5 << "' y1='" << fmt(y, 1) << "' x2='" << M << "' y2='"
      << fmt(y, 1) << "' stroke='#444'/><text x='" << M - 27 << "' y='" << fmt(y + 4, 1)
      << "' font-size='11'>" << fmt(v, 1) << "</text>";
  }
  s << "<text x='" << M + W / 2 - 60 << "' y='" << H + 2 * M - 4
    << "' font-size='12'>fraction of area (ranked)</text>"
    << "<text x='10' y='" << M + H / 2 + 40 << "' font-size='12' transform='rotate(-90 10 " << M + H / 2 + 40
    << ")'>fraction of deposits</text></svg>";
  return s.str();
}

} // namespace

std::string missing_curves(const json& learn, const json& cj) {
  if (cj.contains("prediction_rate")) return "";
  std::string why;
  if (learn.contains("note"))
    why = learn["note"].get<std::string>();
  else if (cj.contains("note"))
    why = cj["note"].get<std::string>();
  else if (cj.contains("cross_validation"))
    why = cj["cross_validation"].get<std::string>();
  else if (!cj.contains("success_rate"))
    why = "no data-driven model was fitted (see the run log)";
  else
    why = "no test deposits and no cross-validation";
  return (cj.contains("success_rate") ? "No prediction-rate curve: "
                                      : "No success- or prediction-rate curve: ") +
         why + ".";
}

void write_report(const Plan& p, const std::vector<CommodityTargets>& targets, const json& learn,
                  const std::vector<InputRecord>& inputs, const std::string& path) {
  DepositSet train, test;
  if (!p.job.training.path.empty()) {
    train = read_deposits(p.job.training, p.job.training.path, p.grid);
    if (!p.job.training.test_path.empty())
      test = read_deposits(p.job.training, p.job.training.test_path, p.grid);
  }
  std::time_t now = std::time(nullptr);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream h;
  h << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>prospector report: "
    << esc(p.job.name)
    << "</"
       "title><style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;"
       "margin:8px 0}"
       "td,th{border:1px solid #bbb;padding:3px 7px;font-size:13px;text-align:right}th{background:#eee}"
       "td.l{text-align:left}.maps{display:flex;flex-wrap:wrap;gap:24px}figure{margin:0;max-width:100%}"
       "svg.map{max-width:100%;height:auto}</style></head><body>";
  h << "<h1>prospector report: " << esc(p.job.name) << "</h1><p>" << ts << " &middot; prospector "
    << PROSPECTOR_VERSION << " &middot; grid " << esc(describe(p.grid)) << "</p>";
  for (size_t i = 0; i < p.recipes.size(); ++i) {
    const Recipe& r = p.recipes[i];
    const std::string& c = r.commodity;
    const CommodityTargets* ct = nullptr;
    for (const auto& t : targets)
      if (t.commodity == c) ct = &t;
    std::vector<std::pair<DepositPoint, bool>> deps;
    for (const auto& d : train.points)
      if (d.names(c)) deps.push_back({d, false});
    for (const auto& d : test.points)
      if (d.names(c)) deps.push_back({d, true});
    h << "<section><h2>" << esc(c) << ": " << esc(r.name) << "</h2><p>" << esc(r.deposit_model) << "</p>";
    h << "<div class='maps'><figure>" << map_figure(p, "prospectivity_" + c, ct, deps) << "</figure>";
    const json cj =
        learn.contains("commodities") && learn["commodities"].contains(c) ? learn["commodities"][c] : json();
    if (cj.contains("success_rate") || cj.contains("prediction_rate"))
      h << "<figure>" << svg_curves(cj) << "<figcaption>" << esc(cj.value("validated_model", ""))
        << " success- and prediction-rate curves"
        << (cj.contains("prediction_rate") ? " (" + esc(cj["prediction_rate"].value("source", "")) + ")" : "")
        << "</figcaption></figure>";
    h << "</div>";
    const std::string why = missing_curves(learn, cj);
    if (!why.empty()) h << "<p class='note'>" << esc(why) << "</p>";
    if (ct) {
      h << "<h3>Ranked targets (top threshold " << fmt(ct->threshold)
        << ")</h3><table><tr><th>rank</th><th>peak</th>"
           "<th>mean</th><th>area km&sup2;</th><th>centroid x</th><th>centroid y</th><th>evidence</th></tr>";
      for (size_t k = 0; k < ct->targets.size() && k < 15; ++k) {
        const Target& t = ct->targets[k];
        h << "<tr><td>" << t.rank << "</td><td>" << fmt(t.peak_score) << "</td><td>" << fmt(t.mean_score)
          << "</td><td>" << fmt(t.area / 1e6) << "</td><td>" << fmt(t.centroid_x, 1) << "</td><td>"
          << fmt(t.centroid_y, 1) << "</td><td class='l'>" << esc(t.evidence) << "</td></tr>";
      }
      h << "</table>";
    }
    if (cj.contains("capture_efficiency")) {
      h << "<h3>Capture efficiency</h3><table><tr><th>top area</th><th>deposits captured</th></tr>";
      for (auto it = cj["capture_efficiency"].begin(); it != cj["capture_efficiency"].end(); ++it)
        h << "<tr><td>" << fmt(100 * std::stod(it.key()), 1) << "%</td><td>"
          << fmt(100 * it->get<double>(), 1) << "%</td></tr>";
      h << "</table>";
    }
    if (cj.contains("wofe") && cj["wofe"].contains("tables")) {
      const json& w = cj["wofe"];
      h << "<h3>Weights of evidence</h3><p>";
      if (w.contains("error"))
        h << esc(w["error"].get<std::string>());
      else
        h << "prior probability " << fmt(w["prior_probability"].get<double>()) << " per unit cell, "
          << w["deposits"].get<std::int64_t>() << " training point(s) (counted as "
          << esc(w["points_counted_as"].get<std::string>())
          << "); conditional independence (Agterberg-Cheng): "
          << "n/T = " << fmt(w["ci_test"]["ratio"].get<double>())
          << ", p = " << fmt(w["ci_test"]["p_value"].get<double>());
      h << "</p>";
      for (const auto& t : w["tables"]) {
        h << "<h4>" << esc(t["layer"].get<std::string>()) << " (" << esc(t["type"].get<std::string>())
          << (t["in_posterior"].get<bool>() ? ", in the posterior" : ", left out of the posterior")
          << ")</h4>";
        if (t.contains("error")) h << "<p>" << esc(t["error"].get<std::string>()) << "</p>";
        if (t.contains("note")) h << "<p>" << esc(t["note"].get<std::string>()) << "</p>";
        h << "<table><tr><th>class</th><th>values</th><th>area (unit cells)</th><th>points</th><th>W+</th>"
             "<th>s(W+)</th><th>W-</th><th>s(W-)</th><th>C</th><th>s(C)</th><th>C/s(C)</th><th>gen. "
             "class</th>"
             "<th>weight</th><th>s(weight)</th></tr>";
        for (const auto& r : t["rows"])
          h << "<tr><td>" << r["class"].get<int>() << "</td><td class='l'>"
            << esc(r["label"].get<std::string>()) << "</td><td>" << fmt(r["area"].get<double>())
            << "</td><td>" << r["points"].get<std::int64_t>() << "</td><td>" << fmt(r["w_plus"].get<double>())
            << "</td><td>" << fmt(r["s_w_plus"].get<double>()) << "</td><td>"
            << fmt(r["w_minus"].get<double>()) << "</td><td>" << fmt(r["s_w_minus"].get<double>())
            << "</td><td>" << fmt(r["contrast"].get<double>()) << "</td><td>"
            << fmt(r["s_contrast"].get<double>()) << "</td><td>" << fmt(r["studentized"].get<double>())
            << "</td><td>" << r["gen_class"].get<int>() << "</td><td>" << fmt(r["weight"].get<double>())
            << "</td><td>" << fmt(r["w_std"].get<double>()) << "</td></tr>";
        h << "</table>";
      }
      if (!w["pair_tests"].empty()) {
        h << "<h4>Pairwise conditional independence (chi-square, 1 d.f., over training points)</h4><table>"
             "<tr><th>layers</th><th>chi2</th><th>p</th></tr>";
        for (const auto& pt : w["pair_tests"])
          h << "<tr><td class='l'>" << esc(pt["layers"][0].get<std::string>()) << " / "
            << esc(pt["layers"][1].get<std::string>()) << "</td><td>"
            << (pt.contains("chi_square") ? fmt(pt["chi_square"].get<double>()) : "-") << "</td><td>"
            << (pt.contains("p_value") ? fmt(pt["p_value"].get<double>()) : "-") << "</td></tr>";
        h << "</table>";
      }
    }
    if (cj.contains("wofe") && cj["wofe"].contains("evidence")) {
      const json& w = cj["wofe"];
      h << "<h3>Weights of evidence</h3><p>prior logit " << fmt(w["prior_logit"].get<double>()) << ", "
        << w["deposits"].get<std::int64_t>() << " training deposit cell(s)";
      if (w["ci_test"].contains("ratio"))
        h << "; conditional independence: n/T = " << fmt(w["ci_test"]["ratio"].get<double>())
          << ", p = " << fmt(w["ci_test"]["p_value"].get<double>());
      if (w.contains("zero_class"))
        h << "; classes without deposits: " << w["classes_without_deposits"].get<std::int64_t>()
          << (w["zero_class"] == "arcsdm" ? " (W+ = 0, ArcSDM convention" : " (continuity correction")
          << ", models.wofe_zero_class)";
      h << "</p><table><tr><th>evidence</th><th>class</th><th>cells</th><th>deposits</th><th>W+</th><th>W-</"
           "th>"
           "<th>C</th><th>s(C)</th><th>C/s(C)</th><th>flags</th></tr>";
      for (const auto& e : w["evidence"]) {
        int k = 0;
        for (const auto& cl : e["classes"])
          h << "<tr><td class='l'>" << esc(e["id"].get<std::string>()) << "</td><td>" << k++ << "</td><td>"
            << cl["cells"].get<std::int64_t>() << "</td><td>" << cl["deposits"].get<std::int64_t>()
            << "</td><td>" << fmt(cl["w_plus"].get<double>()) << "</td><td>"
            << fmt(cl["w_minus"].get<double>()) << "</td><td>" << fmt(cl["contrast"].get<double>())
            << "</td><td>" << fmt(cl["s_contrast"].get<double>()) << "</td><td>"
            << fmt(cl["studentized"].get<double>()) << "</td><td>" << esc(flag_text(cl)) << "</td></tr>";
      }
      h << "</table>";
    }
    h << "</section>";
  }
  h << "<section><h2>Provenance</h2><p>job " << esc(p.job.path)
    << "</p><table><tr><th>input</th><th>file</th>"
       "<th>SHA-256</th></tr>";
  for (const auto& in : inputs)
    h << "<tr><td class='l'>" << esc(in.id) << "</td><td class='l'>" << esc(in.path) << "</td><td class='l'>"
      << in.sha256 << "</td></tr>";
  h << "</table></section></body></html>\n";
  write_text_atomic(path, h.str());
}

} // namespace prospector
