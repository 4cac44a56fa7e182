#include "pipeline/app/synth.hpp"

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

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kG = 6.674e-11;       // m^3 kg^-1 s^-2
constexpr double kMGalPerSI = 1e5;     // 1 m/s^2 = 1e5 mGal
constexpr double kField = 58000.0;     // nT, regional total field
constexpr double kInclination = -55.0; // deg, negative = field points up (southern hemisphere)
constexpr double kDeclination = 2.0;   // deg east of north
constexpr double kCell = 50.0;         // analysis cell (m)
constexpr double kX0 = 400000.0;       // NW corner of the analysis grid, EPSG:28350
constexpr double kY0 = 7210000.0;
constexpr double kGravCellDeg = 0.002; // ~200 m
constexpr double kRadCellDeg = 0.0005; // ~50 m
constexpr double kStreamCell = 100.0;

// ---------------------------------------------------------------------------------------------------------
// Random numbers: mt19937_64 with our own transforms so that a seed gives the same survey with any
// standard library.

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class Rng {
public:
  Rng(std::uint64_t seed, std::uint64_t stream) : g_(splitmix64(seed ^ splitmix64(stream))) {}
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(g_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  /// Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform(); // (0, 1]
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * kPi * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * kPi * u2);
  }

private:
  std::mt19937_64 g_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

// Independent streams, so that changing how one layer is made does not reshuffle the others.
enum Stream : std::uint64_t {
  kStreamLayout = 1,
  kStreamMagNoise,
  kStreamGravNoise,
  kStreamRadNoise,
  kStreamSoil,
  kStreamStream,
  kStreamFields,
};

/// Smooth random field of about unit variance: a sum of plane waves with log-uniform wavelengths.
class SmoothField {
public:
  SmoothField(Rng& rng, double lambda_min, double lambda_max, int n_waves = 24) {
    for (int i = 0; i < n_waves; ++i) {
      const double lambda = lambda_min * std::pow(lambda_max / lambda_min, rng.uniform());
      const double theta = rng.uniform(0.0, kPi);
      const double k = 2.0 * kPi / lambda;
      waves_.push_back({k * std::cos(theta), k * std::sin(theta), rng.uniform(0.0, 2.0 * kPi)});
    }
    norm_ = std::sqrt(2.0 / n_waves);
  }
  double operator()(double x, double y) const {
    double s = 0.0;
    for (const auto& w : waves_)
      s += std::cos(w[0] * (x - kX0) + w[1] * (y - kY0) + w[2]);
    return norm_ * s;
  }

private:
  std::vector<std::array<double, 3>> waves_;
  double norm_ = 1.0;
};

double gauss_weight(double dx, double dy, double sigma) {
  return std::exp(-(dx * dx + dy * dy) / (2.0 * sigma * sigma));
}
double logistic(double t) { return 1.0 / (1.0 + std::exp(-t)); }

// ---------------------------------------------------------------------------------------------------------
// The geological model, in EPSG:28350 metres.

enum class SiteKind {
  CuPorphyry,
  LiPegmatite,
  NiCoSulphide,
  SnGranite,
  DecoyMagnetic, // BIF: magnetics only
  DecoyCuSoil,   // contamination: Cu soil only
  DecoyKTh,      // plain granite outcrop: K and Th only
  DecoyGravity,  // dense metadolerite: gravity only
  DecoyLiSoil,
  DecoySnSoil,
};

struct Site {
  SiteKind kind;
  double x = 0.0, y = 0.0;
};

/// Point dipole; `c` = 100 * moment (A m^2), so that the total-field anomaly in nT is
/// c * (3 (f.r)^2 / r^2 - 1) / r^3 with f the unit inducing-field vector and r in metres.
/// Beyond sqrt(r2_max) the dipole adds less than 0.002 nT and is skipped: most dipoles are dyke segments,
/// and the neglected far field of a whole dyke stays well below the 2 nT noise.
struct Dipole {
  double x, y, depth, c, r2_max;
};
Dipole dipole(double x, double y, double depth, double c) {
  const double r_max = std::cbrt(2.0 * std::fabs(c) / 0.002);
  return {x, y, depth, c, r_max * r_max};
}

/// Buried sphere of anomalous mass; `gm` = G * dM in mGal m^2, so that g_z = gm * depth / r^3.
struct Mass {
  double x, y, depth, gm;
};

enum Element { Cu, Mo, Ni, Co, Cr, Li, Cs, Ta, Sn, W, kNumElements };

/// Multiplicative soil dispersion halo: c *= 1 + (factor - 1) * exp(-d^2 / 2 sigma^2).
struct SoilHalo {
  double x, y, sigma;
  Element element;
  double factor;
};

/// Radiometric halo: v = v * (1 + (factor - 1) w) + add * w, w the Gaussian weight; index 0 K, 1 Th, 2 U.
struct RadHalo {
  double x, y, sigma;
  std::array<double, 3> factor;
  std::array<double, 3> add;
};

/// Radiometric concentrations of a lithology: K (%), eTh (ppm), eU (ppm).
using RadLevels = std::array<double, 3>;

struct Model {
  double x0 = kX0, y0 = kY0, width = 0.0, height = 0.0;
  double scale = 1.0; // body dimensions relative to the 20 km demo
  std::vector<Site> sites;
  std::vector<Dipole> dipoles;
  std::vector<Mass> masses;
  std::vector<SoilHalo> soil_halos;
  std::vector<RadHalo> rad_halos;

  // Lithology: a mafic-ultramafic greenstone belt west of belt_x and an I-type (magnetite-series) granite
  // stock; everything else is metasediment.
  double belt_x = 0.0;
  double granite_x = 0.0, granite_y = 0.0, granite_r = 0.0;
  double contact_width = 150.0;
};

// Induced magnetisation M = k F / mu0; for F = 58,000 nT, F / mu0 = 46.15 A/m.
double induced_c(double susceptibility, double volume) {
  const double h = kField * 1e-9 / (4e-7 * kPi);
  return 100.0 * susceptibility * h * volume;
}
double sphere_volume(double r) { return 4.0 / 3.0 * kPi * r * r * r; }
// Density contrast in g/cm^3.
double sphere_gm(double radius, double drho) {
  return kG * drho * 1000.0 * sphere_volume(radius) * kMGalPerSI;
}

/// Thin tabular body (dyke, BIF) as a row of dipoles every `step` metres from (xa, ya) to (xb, yb).
void add_sheet(Model& m, double xa, double ya, double xb, double yb, double depth, double width,
               double depth_extent, double susceptibility, double step) {
  const double len = std::hypot(xb - xa, yb - ya);
  const int n = std::max(1, static_cast<int>(std::ceil(len / step)));
  const double seg = len / n;
  const double c = induced_c(susceptibility, width * depth_extent * seg);
  for (int i = 0; i < n; ++i) {
    const double t = (i + 0.5) / n;
    m.dipoles.push_back(dipole(xa + t * (xb - xa), ya + t * (yb - ya), depth, c));
  }
}

void plant(Model& m, const Site& s, Rng& rng) {
  const double k = m.scale;
  const double x = s.x, y = s.y;
  switch (s.kind) {
  case SiteKind::CuPorphyry: {
    // Magnetite-bearing potassic core ...
    m.dipoles.push_back(dipole(x, y, 600 * k, induced_c(0.04, sphere_volume(400 * k))));
    // ... inside a phyllic (quartz-sericite-pyrite) shell where hydrothermal fluids destroyed the host
    // rock's magnetite: a ring of negative susceptibility contrast at shallower depth.
    const int n_ring = 24;
    const double ring_vol = 2.0 * kPi * 750 * k * 400 * k * 300 * k / n_ring;
    for (int i = 0; i < n_ring; ++i) {
      const double a = 2.0 * kPi * i / n_ring;
      m.dipoles.push_back(
          dipole(x + 750 * k * std::cos(a), y + 750 * k * std::sin(a), 250 * k, induced_c(-0.003, ring_vol)));
    }
    m.soil_halos.push_back({x, y, 500 * k, Cu, 15.0});
    m.soil_halos.push_back({x, y, 400 * k, Mo, 10.0});
    // Potassic alteration adds K (K-feldspar, biotite) but not Th, so K/Th rises.
    m.rad_halos.push_back({x, y, 450 * k, {1.0, 1.0, 1.0}, {1.8, 0.0, 0.3}});
    break;
  }
  case SiteKind::LiPegmatite: {
    // Pegmatite swarm in mafic-amphibolite host: non-magnetic, so a weak susceptibility low.
    m.dipoles.push_back(dipole(x, y, 300 * k, induced_c(-0.008, sphere_volume(300 * k))));
    // Parent peraluminous leucogranite stock below and slightly off the swarm (pegmatites sit in its roof).
    const double a = rng.uniform(0.0, 2.0 * kPi);
    m.masses.push_back(
        {x + 350 * k * std::cos(a), y + 350 * k * std::sin(a), 900 * k, sphere_gm(550 * k, -0.13)});
    m.soil_halos.push_back({x, y, 380 * k, Li, 10.0});
    m.soil_halos.push_back({x, y, 380 * k, Cs, 8.0});
    m.soil_halos.push_back({x, y, 350 * k, Ta, 5.0});
    m.soil_halos.push_back({x, y, 380 * k, Sn, 3.0});
    // Muscovite and microcline carry K; LCT pegmatites are Th-poor.
    m.rad_halos.push_back({x, y, 400 * k, {1.0, 0.85, 1.0}, {1.1, 0.0, 0.0}});
    break;
  }
  case SiteKind::NiCoSulphide: {
    // Pyrrhotite-bearing ultramafic intrusion: dense and magnetic.
    m.dipoles.push_back(dipole(x, y, 450 * k, induced_c(0.06, sphere_volume(300 * k))));
    m.masses.push_back({x, y, 450 * k, sphere_gm(320 * k, 0.35)});
    m.soil_halos.push_back({x, y, 420 * k, Ni, 12.0});
    m.soil_halos.push_back({x, y, 420 * k, Co, 8.0});
    m.soil_halos.push_back({x, y, 380 * k, Cu, 3.5});
    m.soil_halos.push_back({x, y, 500 * k, Cr, 2.0});
    // Ultramafic subcrop and gossan: little K, Th or U.
    m.rad_halos.push_back({x, y, 400 * k, {0.35, 0.35, 0.35}, {0.0, 0.0, 0.0}});
    break;
  }
  case SiteKind::SnGranite: {
    // Ilmenite-series (reduced) granite cupola: less magnetic than its host, and light.
    m.dipoles.push_back(dipole(x, y, 800 * k, induced_c(-0.01, sphere_volume(550 * k))));
    m.masses.push_back({x, y, 1000 * k, sphere_gm(650 * k, -0.15)});
    m.soil_halos.push_back({x, y, 480 * k, Sn, 15.0});
    m.soil_halos.push_back({x, y, 450 * k, W, 8.0});
    m.soil_halos.push_back({x, y, 450 * k, Cs, 1.5});
    // Fractionated granite and greisen: high U and K.
    m.rad_halos.push_back({x, y, 500 * k, {1.0, 1.0, 1.0}, {1.2, 1.5, 0.0}});
    m.rad_halos.push_back({x, y, 450 * k, {1.0, 1.0, 1.0}, {0.0, 0.0, 3.5}});
    break;
  }
  case SiteKind::DecoyMagnetic: {
    // Magnetite BIF horizon, 1.6 km of strike; too thin (40 m) to register at 200 m gravity stations.
    const double a = rng.uniform(0.15, 0.35) * kPi;
    const double h = 800 * k;
    add_sheet(m, x - h * std::cos(a), y - h * std::sin(a), x + h * std::cos(a), y + h * std::sin(a), 150 * k,
              40 * k, 300 * k, 0.25, 50 * k);
    break;
  }
  case SiteKind::DecoyCuSoil:
    m.soil_halos.push_back({x, y, 220 * k, Cu, 20.0});
    break;
  case SiteKind::DecoyKTh:
    // Thin sheet of ordinary granite: K and Th both up, K/Th unchanged, no density contrast at depth.
    m.rad_halos.push_back({x, y, 500 * k, {1.0, 1.0, 1.0}, {2.0, 13.5, 0.0}});
    break;
  case SiteKind::DecoyGravity:
    // Metadolerite whose magnetite was destroyed by metamorphism: dense, not magnetic.
    m.masses.push_back({x, y, 450 * k, sphere_gm(320 * k, 0.30)});
    break;
  case SiteKind::DecoyLiSoil:
    m.soil_halos.push_back({x, y, 250 * k, Li, 10.0});
    break;
  case SiteKind::DecoySnSoil:
    m.soil_halos.push_back({x, y, 250 * k, Sn, 15.0});
    break;
  }
}

Model build_model(std::int64_t size, std::uint64_t seed) {
  Model m;
  m.width = m.height = static_cast<double>(size) * kCell;
  m.scale = std::clamp(static_cast<double>(size) / 400.0, 0.25, 1.0);
  m.contact_width = 150.0 * m.scale;
  Rng rng(seed, kStreamLayout);

  // A 4 x 4 layout of sites in fractions of the extent (east, south), 4.8 km apart in the 20 km demo; the
  // one free slot holds the I-type granite. Dykes run along the gaps between rows and columns.
  struct Slot {
    SiteKind kind;
    double fx, fy;
  };
  const Slot slots[] = {
      {SiteKind::NiCoSulphide, 0.14, 0.14}, {SiteKind::CuPorphyry, 0.38, 0.14},
      {SiteKind::DecoyKTh, 0.62, 0.14},     {SiteKind::SnGranite, 0.86, 0.14},
      {SiteKind::DecoyGravity, 0.14, 0.38}, {SiteKind::DecoyCuSoil, 0.38, 0.38},
      {SiteKind::LiPegmatite, 0.62, 0.38},  {SiteKind::DecoySnSoil, 0.86, 0.38},
      {SiteKind::NiCoSulphide, 0.14, 0.62}, {SiteKind::DecoyMagnetic, 0.38, 0.62},
      {SiteKind::CuPorphyry, 0.62, 0.62},   {SiteKind::LiPegmatite, 0.86, 0.62},
      {SiteKind::DecoyLiSoil, 0.14, 0.86},  {SiteKind::NiCoSulphide, 0.38, 0.86},
      {SiteKind::SnGranite, 0.86, 0.86},
  };
  for (const auto& s : slots) {
    const double fx = s.fx + rng.uniform(-0.015, 0.015);
    const double fy = s.fy + rng.uniform(-0.015, 0.015);
    m.sites.push_back({s.kind, m.x0 + fx * m.width, m.y0 - fy * m.height});
  }
  for (const auto& s : m.sites)
    plant(m, s, rng);

  const double k = m.scale;
  m.belt_x = m.x0 + 0.26 * m.width;
  m.granite_x = m.x0 + 0.62 * m.width;
  m.granite_y = m.y0 - 0.86 * m.height;
  m.granite_r = 1800 * k;
  m.dipoles.push_back(dipole(m.granite_x, m.granite_y, 2200 * k, induced_c(0.025, sphere_volume(1800 * k))));
  m.masses.push_back({m.granite_x, m.granite_y, 2500 * k, sphere_gm(1800 * k, -0.05)});

  // Proterozoic dolerite dykes, extended 3 km past the grid so that their ends do not show. Dipoles closer
  // than their depth blur into a continuous sheet.
  const double ext = 3000.0;
  const double w = m.width, h = m.height;
  add_sheet(m, m.x0 - ext, m.y0 - 0.515 * h, m.x0 + w + ext, m.y0 - 0.485 * h, 150 * k, 25 * k, 400 * k,
            0.035, 100 * k);
  add_sheet(m, m.x0 + 0.505 * w, m.y0 + ext, m.x0 + 0.495 * w, m.y0 - h - ext, 150 * k, 25 * k, 400 * k,
            0.035, 100 * k);
  return m;
}

double belt_weight(const Model& m, double x) { return logistic((m.belt_x - x) / m.contact_width); }
double granite_weight(const Model& m, double x, double y) {
  return logistic((m.granite_r - std::hypot(x - m.granite_x, y - m.granite_y)) / m.contact_width);
}

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
  write_job(m, out("job.json"), stream_file);
}

} // namespace prospector
