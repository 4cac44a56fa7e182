#include "pipeline/app/synth.hpp"

#include "pipeline/app/synth_geology.hpp"
#include "pipeline/app/synth_model.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <nlohmann/json.hpp>
#include <ogr_srs_api.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace prospector {

using namespace synth;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Coordinates.

class Transform {
public:
  Transform(const gdal::SpatialRef& src, const gdal::SpatialRef& dst)
      : h_(OCTNewCoordinateTransformation(src.get(), dst.get())) {
    if (!h_) throw_runtime("synth: cannot create a coordinate transformation: " + gdal::last_error());
  }
  ~Transform() { OCTDestroyCoordinateTransformation(h_); }
  Transform(const Transform&) = delete;
  Transform& operator=(const Transform&) = delete;
  void apply(std::vector<double>& x, std::vector<double>& y) const {
    if (x.empty()) return;
    std::vector<int> ok(x.size(), 0);
    if (!OCTTransformEx(h_, static_cast<int>(x.size()), x.data(), y.data(), nullptr, ok.data()) ||
        std::find(ok.begin(), ok.end(), 0) != ok.end())
      throw_runtime("synth: coordinate transformation failed: " + gdal::last_error());
  }

private:
  OGRCoordinateTransformationH h_;
};

struct RasterGrid {
  double x0, y0, cell;
  std::int64_t nx, ny;
  std::array<double, 6> gt() const { return {x0, cell, 0.0, y0, 0.0, -cell}; }
};

/// Geographic grid (cell in degrees) snapped to multiples of the cell, covering the projected rectangle
/// [xmin, xmax] x [ymin, ymax] with `margin` extra cells on every side.
RasterGrid geographic_cover(const Transform& to_geo, double xmin, double ymin, double xmax, double ymax,
                            double cell, int margin) {
  std::vector<double> px, py;
  const int n = 32;
  for (int i = 0; i <= n; ++i) {
    const double t = static_cast<double>(i) / n;
    px.insert(px.end(), {xmin + t * (xmax - xmin), xmin + t * (xmax - xmin), xmin, xmax});
    py.insert(py.end(), {ymin, ymax, ymin + t * (ymax - ymin), ymin + t * (ymax - ymin)});
  }
  to_geo.apply(px, py);
  const auto [lon0, lon1] = std::minmax_element(px.begin(), px.end());
  const auto [lat0, lat1] = std::minmax_element(py.begin(), py.end());
  const auto i0 = static_cast<std::int64_t>(std::floor(*lon0 / cell)) - margin;
  const auto i1 = static_cast<std::int64_t>(std::ceil(*lon1 / cell)) + margin;
  const auto j0 = static_cast<std::int64_t>(std::floor(*lat0 / cell)) - margin;
  const auto j1 = static_cast<std::int64_t>(std::ceil(*lat1 / cell)) + margin;
  return {static_cast<double>(i0) * cell, static_cast<double>(j1) * cell, cell, i1 - i0, j1 - j0};
}

/// Map coordinates (EPSG:28350) of the cell centres of a grid, transformed from its CRS when needed.
void cell_centres(const RasterGrid& g, const Transform* to_map, std::vector<double>& x,
                  std::vector<double>& y) {
  x.resize(static_cast<size_t>(g.nx * g.ny));
  y.resize(x.size());
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c < g.nx; ++c) {
      x[static_cast<size_t>(r * g.nx + c)] = g.x0 + (static_cast<double>(c) + 0.5) * g.cell;
      y[static_cast<size_t>(r * g.nx + c)] = g.y0 - (static_cast<double>(r) + 0.5) * g.cell;
    }
  if (to_map) to_map->apply(x, y);
}

// ---------------------------------------------------------------------------------------------------------
// Layers.

std::vector<float> magnetics(const Model& m, const std::vector<double>& x, const std::vector<double>& y,
                             std::uint64_t seed) {
  const double inc = kInclination * kPi / 180.0, dec = kDeclination * kPi / 180.0;
  const double fe = std::cos(inc) * std::sin(dec), fn = std::cos(inc) * std::cos(dec), fu = -std::sin(inc);
  Rng frng(seed, kStreamFields + 1);
  const SmoothField deep(frng, 8000.0, 30000.0, 12);
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> out(static_cast<size_t>(n));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const double px = x[i], py = y[i];
    // The total field strengthens towards the south magnetic pole: about 2.5 nT/km here.
    double t = kField + 2.5e-3 * (m.y0 - py) + 0.8e-3 * (px - m.x0) + 15.0 * deep(px, py);
    for (const auto& d : m.dipoles) {
      const double rx = px - d.x, ry = py - d.y, rz = d.depth; // source to sensor, z up
      const double r2 = rx * rx + ry * ry + rz * rz;
      if (r2 > d.r2_max) continue;
      const double fr = fe * rx + fn * ry + fu * rz;
      // Induced moment along f: dT = f.B = 1e-7 m (3 (f.r)^2 / r^5 - 1 / r^3) T.
      t += d.c * (3.0 * fr * fr / r2 - 1.0) / (r2 * std::sqrt(r2));
    }
    out[i] = static_cast<float>(t);
  }
  Rng rng(seed, kStreamMagNoise);
  for (auto& v : out)
    v = static_cast<float>(v + 2.0 * rng.normal());
  return out;
}

std::vector<float> gravity(const Model& m, const std::vector<double>& x, const std::vector<double>& y,
                           std::uint64_t seed) {
  Rng frng(seed, kStreamFields + 2);
  const SmoothField deep(frng, 10000.0, 40000.0, 12);
  // Greenstone belt: its eastern contact is the edge of a semi-infinite dense sheet,
  // g = 2 G drho t (pi/2 + atan(dx / z)), a gravity step of 2 pi G drho t across the contact.
  const double belt_gm = 2.0 * kG * 120.0 * (300.0 * m.scale) * kMGalPerSI; // 0.12 g/cm^3, 300 m thick
  const double belt_z = 800.0 * m.scale;
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> out(static_cast<size_t>(n));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const double px = x[i], py = y[i];
    double g = -18.0 + 0.12e-3 * (px - m.x0) + 0.06e-3 * (m.y0 - py) + 0.3 * deep(px, py);
    g += belt_gm * (kPi / 2.0 + std::atan((m.belt_x - px) / belt_z));
    for (const auto& s : m.masses) {
      const double rx = px - s.x, ry = py - s.y;
      const double r2 = rx * rx + ry * ry + s.depth * s.depth;
      g += s.gm * s.depth / (r2 * std::sqrt(r2));
    }
    out[i] = static_cast<float>(g);
  }
  Rng rng(seed, kStreamGravNoise);
  for (auto& v : out)
    v = static_cast<float>(v + 0.05 * rng.normal());
  return out;
}

/// K (%), eTh (ppm), eU (ppm) at cell centres, noise included.
std::array<std::vector<float>, 3> radiometrics(const Model& m, const std::vector<double>& x,
                                               const std::vector<double>& y, std::uint64_t seed) {
  const RadLevels sediment{1.4, 9.0, 2.0}, mafic{0.45, 3.2, 0.8}, granite{3.2, 20.0, 4.2};
  Rng frng(seed, kStreamFields + 3);
  // Regolith and subtle lithological variation: a shared field plus one per channel.
  const SmoothField common(frng, 1500.0, 6000.0);
  const SmoothField own[3] = {SmoothField(frng, 1500.0, 6000.0), SmoothField(frng, 1500.0, 6000.0),
                              SmoothField(frng, 1500.0, 6000.0)};
  const auto n = static_cast<std::int64_t>(x.size());
  std::array<std::vector<float>, 3> out;
  for (auto& o : out)
    o.resize(static_cast<size_t>(n));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const double px = x[i], py = y[i];
    const double wb = belt_weight(m, px), wg = granite_weight(m, px, py);
    const double cf = common(px, py);
    for (int e = 0; e < 3; ++e) {
      double v = sediment[e] + wb * (mafic[e] - sediment[e]);
      v += wg * (granite[e] - v);
      v *= 1.0 + 0.06 * cf + 0.04 * own[e](px, py);
      for (const auto& h : m.rad_halos) {
        const double w = gauss_weight(px - h.x, py - h.y, h.sigma);
        v = v * (1.0 + (h.factor[e] - 1.0) * w) + h.add[e] * w;
      }
      out[e][i] = static_cast<float>(v);
    }
  }
  // Counting statistics grow with the count rate; floors keep concentrations positive so K/Th stays finite.
  Rng rng(seed, kStreamRadNoise);
  const double sd0[3] = {0.03, 0.3, 0.25}, sd1[3] = {0.03, 0.05, 0.08}, floor_[3] = {0.02, 0.3, 0.05};
  for (int e = 0; e < 3; ++e)
    for (auto& v : out[e]) {
      const double noisy = v + (sd0[e] + sd1[e] * v) * rng.normal();
      v = static_cast<float>(std::max(floor_[e], noisy));
    }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Soil geochemistry.

struct ElementSpec {
  const char* column;
  double median;      // ppm, metasediment background
  double belt_factor; // over the mafic-ultramafic belt
  double granite_factor;
  double detection; // ppm
  enum Censor { None, LessThan, Negative } censor;
};

const ElementSpec kElements[kNumElements] = {
    {"Cu_ppm", 28.0, 1.6, 0.5, 1.0, ElementSpec::None},
    {"Mo_ppm", 0.7, 0.8, 1.5, 0.5, ElementSpec::LessThan},
    {"Ni_ppm", 22.0, 2.5, 0.3, 1.0, ElementSpec::None},
    {"Co_ppm", 9.0, 2.0, 0.4, 3.0, ElementSpec::LessThan},
    {"Cr_ppm", 70.0, 4.0, 0.3, 5.0, ElementSpec::None},
    {"Li_ppm", 14.0, 0.7, 1.3, 2.0, ElementSpec::LessThan},
    {"Cs_ppm", 2.0, 0.6, 1.8, 0.5, ElementSpec::LessThan},
    {"Ta_ppm", 0.6, 0.6, 1.5, 0.5, ElementSpec::LessThan},
    {"Sn_ppm", 2.4, 0.7, 1.4, 1.0, ElementSpec::Negative},
    {"W_ppm", 1.0, 0.8, 1.4, 0.5, ElementSpec::LessThan},
};

std::string format_ppm(double v) {
  char buf[32];
  if (v >= 100.0)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (v >= 10.0)
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
std::string format_dl(double dl) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", dl);
  return buf;
}

double soil_spacing(const Model& m) { return 280.0 * m.scale; }

class File {
public:
  explicit File(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "w")) {
    if (!f_) throw_runtime("synth: cannot create " + path + " (is the output folder writable?)");
  }
  ~File() {
    if (f_) std::fclose(f_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  void write(const std::string& s) {
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size())
      throw_runtime("synth: writing " + path_ + " failed");
  }
  void close() {
    const bool bad = std::ferror(f_) != 0;
    const int rc = std::fclose(f_);
    f_ = nullptr;
    if (bad || rc != 0) throw_runtime("synth: writing " + path_ + " failed (check free disk space)");
  }

private:
  std::string path_;
  std::FILE* f_;
};

void write_soil(const Model& m, const std::string& path, std::uint64_t seed) {
  Rng rng(seed, kStreamSoil);
  std::vector<SmoothField> fields;
  for (int e = 0; e < kNumElements; ++e)
    fields.emplace_back(rng, 2000.0 * m.scale, 8000.0 * m.scale);

  // Jittered grid of stations covering the analysis extent.
  const auto ncol = std::max<std::int64_t>(2, std::llround(m.width / soil_spacing(m)));
  const auto nrow = std::max<std::int64_t>(2, std::llround(m.height / soil_spacing(m)));
  const double dx = m.width / static_cast<double>(ncol), dy = m.height / static_cast<double>(nrow);
  std::vector<double> sx, sy;
  for (std::int64_t r = 0; r < nrow; ++r)
    for (std::int64_t c = 0; c < ncol; ++c) {
      sx.push_back(m.x0 + (static_cast<double>(c) + 0.5 + rng.uniform(-0.25, 0.25)) * dx);
      sy.push_back(m.y0 - (static_cast<double>(r) + 0.5 + rng.uniform(-0.25, 0.25)) * dy);
    }
  std::vector<double> lon = sx, lat = sy;
  const auto map = gdal::SpatialRef::from_user_input("EPSG:28350", "synth", ErrorKind::Runtime);
  const auto wgs = gdal::SpatialRef::from_user_input("EPSG:4326", "synth", ErrorKind::Runtime);
  Transform(map, wgs).apply(lon, lat);

  // A few field records lost their GPS fix.
  std::vector<bool> no_fix(sx.size(), false);
  for (int i = 0; i < 4; ++i)
    no_fix[static_cast<size_t>(rng.uniform() * static_cast<double>(sx.size()))] = true;

  File f(path);
  std::string header = "sample_id,lon,lat";
  for (const auto& e : kElements)
    header += std::string(",") + e.column;
  f.write(header + "\n");
  for (size_t i = 0; i < sx.size(); ++i) {
    const double px = sx[i], py = sy[i];
    const double wb = belt_weight(m, px), wg = granite_weight(m, px, py);
    char id[32];
    std::snprintf(id, sizeof id, "S%06zu", i + 1);
    std::string line = id;
    if (no_fix[i]) {
      line += ",,";
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, ",%.6f,%.6f", lon[i], lat[i]);
      line += buf;
    }
    for (int e = 0; e < kNumElements; ++e) {
      const auto& spec = kElements[e];
      double lg = std::log10(spec.median) + wb * std::log10(spec.belt_factor) +
                  wg * std::log10(spec.granite_factor) + 0.12 * fields[e](px, py) + 0.13 * rng.normal();
      double v = std::pow(10.0, lg);
      for (const auto& h : m.soil_halos)
        if (h.element == e) v *= 1.0 + (h.factor - 1.0) * gauss_weight(px - h.x, py - h.y, h.sigma);
      line += ",";
      if (v >= spec.detection)
        line += format_ppm(v);
      else if (spec.censor == ElementSpec::LessThan)
        line += "<" + format_dl(spec.detection);
      else if (spec.censor == ElementSpec::Negative)
        line += "-" + format_dl(spec.detection);
      else
        line += format_ppm(v);
    }
    f.write(line + "\n");
  }
  f.close();
}

/// Sn in stream sediment, interpolated to 100 m: catchment dilution spreads the deposit signal wider and
/// flatter than in soil; the soil-only contamination decoy is absent.
std::vector<float> stream_sn(const Model& m, const RasterGrid& g, std::uint64_t seed) {
  Rng rng(seed, kStreamStream);
  const SmoothField field(rng, 3000.0 * m.scale, 12000.0 * m.scale);
  std::vector<float> out(static_cast<size_t>(g.nx * g.ny));
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c < g.nx; ++c) {
      const double px = g.x0 + (static_cast<double>(c) + 0.5) * g.cell;
      const double py = g.y0 - (static_cast<double>(r) + 0.5) * g.cell;
      double lg = std::log10(2.2) + granite_weight(m, px, py) * std::log10(1.4) +
                  belt_weight(m, px) * std::log10(0.8) + 0.1 * field(px, py);
      for (const auto& s : m.sites) {
        if (s.kind == SiteKind::SnGranite)
          lg += std::log10(1.0 + 9.0 * gauss_weight(px - s.x, py - s.y, 900 * m.scale));
        if (s.kind == SiteKind::LiPegmatite)
          lg += std::log10(1.0 + 1.5 * gauss_weight(px - s.x, py - s.y, 700 * m.scale));
      }
      out[static_cast<size_t>(r * g.nx + c)] = static_cast<float>(std::pow(10.0, lg + 0.06 * rng.normal()));
    }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

const char* commodity_of(SiteKind k) {
  switch (k) {
  case SiteKind::CuPorphyry:
  case SiteKind::DecoyCuSoil:
  case SiteKind::DecoyKTh:      // mimics potassic alteration
  case SiteKind::DecoyMagnetic: // mimics a magnetite-bearing intrusion
    return "cu";
  case SiteKind::LiPegmatite:
  case SiteKind::DecoyLiSoil:
    return "li";
  case SiteKind::NiCoSulphide:
  case SiteKind::DecoyGravity: // mimics a dense ultramafic body
    return "ni";
  case SiteKind::SnGranite:
  case SiteKind::DecoySnSoil:
    return "sn";
  }
  return "";
}
bool is_decoy(SiteKind k) {
  return k != SiteKind::CuPorphyry && k != SiteKind::LiPegmatite && k != SiteKind::NiCoSulphide &&
         k != SiteKind::SnGranite;
}

void write_truth(const Model& m, const std::string& path) {
  File f(path);
  f.write("commodity,x,y,kind\n");
  auto row = [&](const char* commodity, const Site& s, const char* kind) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s,%.1f,%.1f,%s\n", commodity, s.x, s.y, kind);
    f.write(buf);
  };
  for (const auto& s : m.sites) {
    if (s.kind == SiteKind::NiCoSulphide) {
      row("ni", s, "deposit");
      row("co", s, "deposit");
    } else {
      row(commodity_of(s.kind), s, is_decoy(s.kind) ? "decoy" : "deposit");
    }
  }
  f.close();
}

void write_job(const Model& m, const std::string& path, const std::string& stream_file) {
  using nlohmann::ordered_json;
  const auto radius = std::llround(1.5 * soil_spacing(m));
  ordered_json elements = ordered_json::array();
  for (const char* e : {"Cu", "Ni", "Co", "Li", "Sn"})
    elements.push_back({{"element", e}, {"column", std::string(e) + "_ppm"}, {"units", "ppm"}});
  ordered_json job = {
      {"name", "demo"},
      {"grid",
       {{"crs", "EPSG:28350"},
        {"cell_size", static_cast<int>(kCell)},
        {"extent", {m.x0, m.y0 - m.height, m.x0 + m.width, m.y0}}}},
      {"inputs",
       {
           {{"id", "tmi"},
            {"kind", "magnetics"},
            {"path", "tmi_mga50.tif"},
            {"units", "nT"},
            {"inclination", kInclination},
            {"declination", kDeclination}},
           {{"id", "bouguer"}, {"kind", "gravity"}, {"path", "bouguer_gda94.tif"}, {"units", "mGal"}},
           {{"id", "k"},
            {"kind", "radiometric"},
            {"element", "K"},
            {"path", "rad_k_gda94.tif"},
            {"units", "%"}},
           {{"id", "th"},
            {"kind", "radiometric"},
            {"element", "Th"},
            {"path", "rad_th_gda94.tif"},
            {"units", "ppm"}},
           {{"id", "u"},
            {"kind", "radiometric"},
            {"element", "U"},
            {"path", "rad_u_gda94.tif"},
            {"units", "ppm"}},
           {{"id", "soil"},
            {"kind", "geochem_points"},
            {"path", "soil_geochem.csv"},
            {"x_column", "lon"},
            {"y_column", "lat"},
            {"crs", "EPSG:4326"},
            {"elements", elements},
            {"below_detection", {{"negative_values", true}, {"substitute", "half_dl"}}},
            {"gridding",
             {{"method", "invdist"},
              {"power", 2.0},
              {"radius", radius},
              {"max_points", 12},
              {"min_points", 1}}}},
           {{"id", "sn_stream"},
            {"kind", "geochem_grid"},
            {"element", "Sn"},
            {"path", stream_file},
            {"units", "ppm"}},
           {{"id", "geology"},
            {"kind", "geology"},
            {"path", kGeologyFile},
            {"attribute", "unit"},
            {"contact_units", {"granite"}}},
           {{"id", "faults"}, {"kind", "structures"}, {"path", kFaultsFile}, {"where", "type = 'fault'"}},
           {{"id", "intrusions"}, {"kind", "features"}, {"path", kIntrusionsFile}},
       }},
      {"commodities", {"cu", "li", "ni", "co", "sn"}},
      // The moving window spans about 2 km in the 20 km demo: wider than a deposit's footprint, narrower
      // than the lithological domains.
      {"anomaly", {{"local_radius", std::max<std::int64_t>(5, std::llround(20.0 * m.scale))}}},
      {"targets", {{"top_fraction", 0.02}}},
      {"output", {{"folder", "out"}}},
  };
  File f(path);
  f.write(job.dump(2) + "\n");
  f.close();
}

} // namespace

void write_synthetic_survey(const SynthOptions& opts) {
  if (opts.size < 40 || opts.size > 2000)
    throw_usage("synth: size must be between 40 and 2000 cells (got " + std::to_string(opts.size) + ")");
  if (opts.out_dir.empty()) throw_usage("synth: no output folder given");
  gdal::ensure_initialized();
  std::error_code ec;
  std::filesystem::create_directories(opts.out_dir, ec);
  if (ec) throw_runtime("synth: cannot create folder " + opts.out_dir + ": " + ec.message());
  const std::filesystem::path dir(opts.out_dir);
  auto out = [&](const char* name) { return (dir / name).string(); };

  const Model m = build_model(opts.size, opts.seed);
  const auto map = gdal::SpatialRef::from_user_input("EPSG:28350", "synth", ErrorKind::Runtime);
  const auto geo = gdal::SpatialRef::from_user_input("EPSG:4283", "synth", ErrorKind::Runtime);
  const std::string map_wkt = map.to_wkt(), geo_wkt = geo.to_wkt();
  const Transform to_geo(map, geo), to_map(geo, map);
  std::vector<double> x, y;

  // TMI on its own survey grid: 50 m, half a cell off the analysis grid, 8 cells of margin.
  {
    const std::int64_t margin = 8;
    const RasterGrid g{m.x0 - (margin + 0.5) * kCell, m.y0 + (margin + 0.5) * kCell, kCell,
                       static_cast<std::int64_t>(m.width / kCell) + 2 * margin + 1,
                       static_cast<std::int64_t>(m.height / kCell) + 2 * margin + 1};
    cell_centres(g, nullptr, x, y);
    const auto tmi = magnetics(m, x, y, opts.seed);
    gdal::write_geotiff_f32(out("tmi_mga50.tif"), g.gt(), map_wkt, tmi.data(), g.nx, g.ny);
  }
  const double xmin = m.x0, xmax = m.x0 + m.width, ymin = m.y0 - m.height, ymax = m.y0;
  {
    const RasterGrid g = geographic_cover(to_geo, xmin, ymin, xmax, ymax, kGravCellDeg, 3);
    cell_centres(g, &to_map, x, y);
    const auto grav = gravity(m, x, y, opts.seed);
    gdal::write_geotiff_f32(out("bouguer_gda94.tif"), g.gt(), geo_wkt, grav.data(), g.nx, g.ny);
  }
  {
    const RasterGrid g = geographic_cover(to_geo, xmin, ymin, xmax, ymax, kRadCellDeg, 4);
    cell_centres(g, &to_map, x, y);
    const auto rad = radiometrics(m, x, y, opts.seed);
    const char* names[3] = {"rad_k_gda94.tif", "rad_th_gda94.tif", "rad_u_gda94.tif"};
    for (int e = 0; e < 3; ++e)
      gdal::write_geotiff_f32(out(names[e]), g.gt(), geo_wkt, rad[e].data(), g.nx, g.ny);
  }
  const char* stream_file = "sn_stream_mga50_100m.tif";
  {
    const std::int64_t margin = 2;
    const RasterGrid g{m.x0 - margin * kStreamCell, m.y0 + margin * kStreamCell, kStreamCell,
                       static_cast<std::int64_t>(std::ceil(m.width / kStreamCell)) + 2 * margin,
                       static_cast<std::int64_t>(std::ceil(m.height / kStreamCell)) + 2 * margin};
    const auto sn = stream_sn(m, g, opts.seed);
    gdal::write_geotiff_f32(out(stream_file), g.gt(), map_wkt, sn.data(), g.nx, g.ny);
  }
  write_soil(m, out("soil_geochem.csv"), opts.seed);
  write_truth(m, out("truth.csv"));
  write_geology(m, out(kGeologyFile), out(kFaultsFile), out(kIntrusionsFile));
  write_job(m, out("job.json"), stream_file);
}

} // namespace prospector
