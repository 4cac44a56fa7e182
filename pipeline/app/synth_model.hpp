#pragma once
/// \file synth_model.hpp
/// The geological model behind `prospector synth`: planted deposits, decoys, dykes and the granite as
/// dipoles, masses and geochemical and radiometric haloes, in EPSG:28350 metres, and the seeded random
/// streams that make a survey from it. Used only by synth.cpp; split out so each file holds one
/// responsibility.

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace prospector::synth {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kG = 6.674e-11;       // m^3 kg^-1 s^-2
inline constexpr double kMGalPerSI = 1e5;     // 1 m/s^2 = 1e5 mGal
inline constexpr double kField = 58000.0;     // nT, regional total field
inline constexpr double kInclination = -55.0; // deg, negative = field points up (southern hemisphere)
inline constexpr double kDeclination = 2.0;   // deg east of north
inline constexpr double kCell = 50.0;         // analysis cell (m)
inline constexpr double kX0 = 400000.0;       // NW corner of the analysis grid, EPSG:28350
inline constexpr double kY0 = 7210000.0;
inline constexpr double kGravCellDeg = 0.002; // ~200 m
inline constexpr double kRadCellDeg = 0.0005; // ~50 m
inline constexpr double kStreamCell = 100.0;

// ---------------------------------------------------------------------------------------------------------
// Random numbers: mt19937_64 with our own transforms so that a seed gives the same survey with any
// standard library.

inline std::uint64_t splitmix64(std::uint64_t x) {
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

inline double gauss_weight(double dx, double dy, double sigma) {
  return std::exp(-(dx * dx + dy * dy) / (2.0 * sigma * sigma));
}
inline double logistic(double t) { return 1.0 / (1.0 + std::exp(-t)); }

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

/// The model of a size x size cell survey (50 m cells) drawn from `seed`.
Model build_model(std::int64_t size, std::uint64_t seed);
/// Weight (0..1) of the greenstone belt at easting x, smooth over the contact width.
double belt_weight(const Model& m, double x);
/// Weight (0..1) of the granite stock at (x, y), smooth over the contact width.
double granite_weight(const Model& m, double x, double y);

} // namespace prospector::synth
