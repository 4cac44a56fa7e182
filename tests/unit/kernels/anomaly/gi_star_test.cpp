#include "kernels/anomaly/gi_star.hpp"
#include "kernels/registry.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Gi* straight from its formula, in double, visiting every window cell (the independent reference).
std::vector<double> brute_force(const std::vector<float>& g, std::int64_t nx, std::int64_t ny,
                                std::int64_t r) {
  double sum = 0.0, n = 0.0;
  for (float v : g)
    if (!std::isnan(v)) {
      sum += v;
      n += 1.0;
    }
  const double xbar = sum / n;
  double ss = 0.0;
  for (float v : g)
    if (!std::isnan(v)) ss += (v - xbar) * (v - xbar);
  const double s = std::sqrt(ss / n);
  std::vector<double> out(g.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::int64_t row = 0; row < ny; ++row)
    for (std::int64_t col = 0; col < nx; ++col) {
      if (std::isnan(g[row * nx + col])) continue;
      double wx = 0.0, w = 0.0;
      for (std::int64_t rr = row - r; rr <= row + r; ++rr)
        for (std::int64_t cc = col - r; cc <= col + r; ++cc) {
          if (rr < 0 || rr >= ny || cc < 0 || cc >= nx || std::isnan(g[rr * nx + cc])) continue;
          wx += g[rr * nx + cc];
          w += 1.0; // binary weight, so w_ij^2 = w_ij
        }
      const double den = s * std::sqrt((n * w - w * w) / (n - 1.0));
      out[row * nx + col] = den > 0.0 ? (wx - xbar * w) / den : 0.0;
    }
  return out;
}

std::vector<float> random_grid(std::int64_t nx, std::int64_t ny, double offset, double amp, double holes,
                               unsigned seed) {
  std::mt19937_64 g(seed);
  auto u = [&] { return static_cast<double>(g() >> 11) * 0x1.0p-53; };
  std::vector<float> v(static_cast<std::size_t>(nx * ny));
  for (auto& x : v)
    x = u() < holes ? kNaN : static_cast<float>(offset + amp * (2.0 * u() - 1.0));
  return v;
}

} // namespace

TEST_CASE("gi*: hand-computed 3x3 case", "[hotspot]") {
  // Values 1..9, radius 1, n = 9, Xbar = 5, S = sqrt(285/9 - 25) = sqrt(20/3).
  // Corner (0,0): window {1, 2, 4, 5}, W = 4: (12 - 5*4) / (sqrt(20/3) sqrt((9*4 - 16)/8)) = -8 / sqrt(50/3).
  // Edge (0,1): window {1..6}, W = 6: (21 - 30) / (sqrt(20/3) sqrt((54 - 36)/8)) = -9 / sqrt(15).
  // Centre: W = 9 = n, the statistic is undefined and reported as 0.
  const std::vector<float> g = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  GiStarScratch sc;
  GiStarInfo info;
  std::vector<float> out(9);
  GiStarParams p;
  p.radius = 1;
  REQUIRE(gi_star({g.data(), 3, 3}, p, sc, {out.data(), 3, 3}, info).ok);
  CHECK(info.n == 9);
  CHECK(info.mean == 5.0);
  CHECK(info.std == Approx(std::sqrt(20.0 / 3.0)).epsilon(1e-14));
  CHECK(out[0] == Approx(-8.0 / std::sqrt(50.0 / 3.0)).epsilon(1e-6));
  CHECK(out[8] == Approx(8.0 / std::sqrt(50.0 / 3.0)).epsilon(1e-6));
  CHECK(out[1] == Approx(-9.0 / std::sqrt(15.0)).epsilon(1e-6));
  CHECK(out[4] == 0.0f);

  // Nodata: with cell 8 missing, n = 8, Xbar = 4.5, S^2 = 204/8 - 20.25 = 5.25. Corner (0,0) still has
  // W = 4: (12 - 18) / (sqrt(5.25) sqrt((32 - 16)/7)).
  std::vector<float> h = g;
  h[8] = kNaN;
  REQUIRE(gi_star({h.data(), 3, 3}, p, sc, {out.data(), 3, 3}, info).ok);
  CHECK(info.n == 8);
  CHECK(std::isnan(out[8]));
  CHECK(out[0] == Approx(-6.0 / (std::sqrt(5.25) * std::sqrt(16.0 / 7.0))).epsilon(1e-6));
}

TEST_CASE("gi*: equals brute force for several radii, with nodata and a large offset", "[hotspot]") {
  const std::int64_t nx = 37, ny = 29;
  for (const double offset : {0.0, 58000.0}) {
    const auto g = random_grid(nx, ny, offset, 3.0, 0.1, 17);
    GiStarScratch sc;
    GiStarInfo info;
    std::vector<float> out(g.size());
    for (std::int64_t r : {1, 2, 4, 9, 40}) {
      GiStarParams p;
      p.radius = r;
      REQUIRE(gi_star({g.data(), nx, ny}, p, sc, {out.data(), nx, ny}, info).ok);
      const auto ref = brute_force(g, nx, ny, r);
      std::int64_t bad = 0;
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (std::isnan(ref[i]) != std::isnan(out[i]))
          ++bad;
        else if (!std::isnan(ref[i]) && std::abs(out[i] - ref[i]) > 1e-5 * std::abs(ref[i]) + 1e-5)
          ++bad;
      }
      INFO("offset " << offset << " radius " << r);
      CHECK(bad == 0);
    }
  }
}

TEST_CASE("gi*: planted hot spot, constant field and errors", "[hotspot]") {
  // A 5x5 block of +3 on a noisy background is a hot spot: Gi* at its centre far above 1.96.
  const std::int64_t nx = 40, ny = 40;
  auto g = random_grid(nx, ny, 0.0, 1.0, 0.0, 3);
  for (std::int64_t r = 20; r < 25; ++r)
    for (std::int64_t c = 10; c < 15; ++c)
      g[r * nx + c] += 3.0f;
  GiStarScratch sc;
  GiStarInfo info;
  std::vector<float> out(g.size());
  GiStarParams p;
  p.radius = 2;
  REQUIRE(gi_star({g.data(), nx, ny}, p, sc, {out.data(), nx, ny}, info).ok);
  CHECK(out[22 * nx + 12] > 5.0f);

  std::vector<float> flat(12, 58000.0f);
  REQUIRE(gi_star({flat.data(), 4, 3}, p, sc, {out.data(), 4, 3}, info).ok);
  CHECK(info.std == 0.0);
  for (int i = 0; i < 12; ++i)
    CHECK(out[i] == 0.0f);

  std::vector<float> one = {1.0f, kNaN};
  CHECK_FALSE(gi_star({one.data(), 2, 1}, p, sc, {out.data(), 2, 1}, info).ok);
  p.radius = 0;
  CHECK_FALSE(gi_star({flat.data(), 4, 3}, p, sc, {out.data(), 4, 3}, info).ok);
  p.radius = 1;
  CHECK_FALSE(gi_star({flat.data(), 4, 3}, p, sc, {out.data(), 3, 4}, info).ok);
}

TEST_CASE("gi*: bit-identical with 1 and 2 threads", "[hotspot][threads]") {
  const std::int64_t nx = 611, ny = 157; // several column blocks and reduction blocks
  const auto g = random_grid(nx, ny, 58000.0, 30.0, 0.1, 5);
  GiStarParams p;
  p.radius = 6;
  const int saved = omp_get_max_threads();
  std::vector<float> o1(g.size()), o2(g.size());
  GiStarScratch a, b;
  GiStarInfo ia, ib;
  omp_set_num_threads(1);
  REQUIRE(gi_star({g.data(), nx, ny}, p, a, {o1.data(), nx, ny}, ia).ok);
  omp_set_num_threads(2);
  REQUIRE(gi_star({g.data(), nx, ny}, p, b, {o2.data(), nx, ny}, ib).ok);
  omp_set_num_threads(saved);
  CHECK(ia.mean == ib.mean);
  CHECK(ia.std == ib.std);
  CHECK(std::memcmp(o1.data(), o2.data(), o1.size() * sizeof(float)) == 0);
}

TEST_CASE("gi*: registry record", "[hotspot]") {
  const KernelInfo* k = find_kernel("anomaly.gi_star");
  REQUIRE(k != nullptr);
  REQUIRE(k->params.size() == 1);
  CHECK(k->params[0].name == "radius");
  CHECK(std::stod(k->params[0].default_value) == static_cast<double>(GiStarParams{}.radius));
}
