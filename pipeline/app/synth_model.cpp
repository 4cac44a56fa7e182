#include "pipeline/app/synth_model.hpp"

#include <algorithm>
#include <cmath>

namespace prospector::synth {

namespace {

Dipole dipole(double x, double y, double depth, double c) {
  const double r_max = std::cbrt(2.0 * std::fabs(c) / 0.002);
  return {x, y, depth, c, r_max * r_max};
}

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

} // namespace

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

} // namespace prospector::synth
