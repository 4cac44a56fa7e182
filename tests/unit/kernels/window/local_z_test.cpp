#include "kernels/window/local_z.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Ref {
  std::vector<double> mean, std, z;
};

// Direct O(r^2) evaluation in double with a two-pass variance: the independent reference.
Ref brute_force(const std::vector<float>& g, std::int64_t nx, std::int64_t ny, const LocalZParams& p) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Ref ref{std::vector<double>(g.size(), nan), std::vector<double>(g.size(), nan),
          std::vector<double>(g.size(), nan)};
  for (std::int64_t r = 0; r < ny; ++r)
    for (std::int64_t c = 0; c < nx; ++c) {
      const std::int64_t i = r * nx + c;
      if (std::isnan(g[i])) continue;
      std::vector<double> vals;
      for (std::int64_t rr = std::max<std::int64_t>(0, r - p.radius); rr <= std::min(ny - 1, r + p.radius);
           ++rr)
        for (std::int64_t cc = std::max<std::int64_t>(0, c - p.radius); cc <= std::min(nx - 1, c + p.radius);
             ++cc)
          if (!std::isnan(g[rr * nx + cc])) vals.push_back(g[rr * nx + cc]);
      if (static_cast<std::int64_t>(vals.size()) < p.min_count) continue;
      double m = 0.0;
      for (double v : vals)
        m += v;
      m /= static_cast<double>(vals.size());
      double ss = 0.0;
      for (double v : vals)
        ss += (v - m) * (v - m);
      const double sd = std::sqrt(ss / static_cast<double>(vals.size()));
      ref.mean[i] = m;
      ref.std[i] = sd;
      ref.z[i] = sd < p.min_std ? 0.0 : (g[i] - m) / sd;
    }
  return ref;
}

std::vector<float> random_grid(std::int64_t nx, std::int64_t ny, double offset, double amp, double hole_frac,
                               unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0), h(0.0, 1.0);
  std::vector<float> g(static_cast<std::size_t>(nx * ny));
  for (auto& v : g)
    v = h(rng) < hole_frac ? kNaN : static_cast<float>(offset + amp * u(rng));
  return g;
}

void check_against(const std::vector<float>& got, const std::vector<double>& ref, double rel,
                   double abs_margin) {
  REQUIRE(got.size() == ref.size());
  std::int64_t mismatches = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(ref[i]) != std::isnan(got[i])) {
      ++mismatches;
      continue;
    }
    if (std::isnan(ref[i])) continue;
    if (std::abs(got[i] - ref[i]) > rel * std::abs(ref[i]) + abs_margin) ++mismatches;
  }
  CHECK(mismatches == 0);
}

} // namespace

TEST_CASE("moving window: equals brute force for several radii on a grid with holes", "[window.local_z]") {
  const std::int64_t nx = 23, ny = 19;
  const auto g = random_grid(nx, ny, 3.0, 10.0, 0.15, 7);
  WindowScratch scratch;
  for (std::int64_t radius : {1, 2, 3, 5, 8}) {
    DYNAMIC_SECTION("radius " << radius) {
      LocalZParams p;
      p.radius = radius;
      p.min_count = 3;
      std::vector<float> mean(g.size()), sd(g.size()), z(g.size());
      REQUIRE(moving_window_stats({g.data(), nx, ny}, p, scratch, {mean.data(), sd.data(), z.data()}).ok);
      const Ref ref = brute_force(g, nx, ny, p);
      check_against(mean, ref.mean, 1e-5, 1e-6);
      check_against(sd, ref.std, 1e-5, 1e-6);
      check_against(z, ref.z, 1e-5, 1e-6);
    }
  }
}

TEST_CASE("moving window: field of 58000 +- 1 keeps the standard deviation precise", "[window.local_z]") {
  const std::int64_t nx = 40, ny = 31;
  const auto g = random_grid(nx, ny, 58000.0, 1.0, 0.05, 11);
  WindowScratch scratch;
  for (std::int64_t radius : {1, 3, 8}) {
    LocalZParams p;
    p.radius = radius;
    std::vector<float> mean(g.size()), sd(g.size()), z(g.size());
    REQUIRE(moving_window_stats({g.data(), nx, ny}, p, scratch, {mean.data(), sd.data(), z.data()}).ok);
    const Ref ref = brute_force(g, nx, ny, p);
    check_against(sd, ref.std, 1e-4, 0.0);
    check_against(mean, ref.mean, 1e-7, 0.0);
    check_against(z, ref.z, 1e-4, 1e-5);
  }
}

TEST_CASE("moving window: hand-checked 3x3 example, min_count and constant windows", "[window.local_z]") {
  // 3x3 grid 1..9 with the centre missing, radius 1.
  std::vector<float> g = {1, 2, 3, 4, kNaN, 6, 7, 8, 9};
  WindowScratch scratch;
  LocalZParams p;
  p.radius = 1;
  p.min_count = 4;
  std::vector<float> mean(9), sd(9), z(9);
  REQUIRE(moving_window_stats({g.data(), 3, 3}, p, scratch, {mean.data(), sd.data(), z.data()}).ok);
  // Corner (0,0): window {1,2,4} has 3 valid cells < min_count 4.
  CHECK(std::isnan(mean[0]));
  // Edge (0,1): window {1,2,3,4,6}: mean 16/5 = 3.2, population variance 66/5 - 3.2^2 = 2.96.
  CHECK(mean[1] == Approx(3.2).epsilon(1e-6));
  CHECK(sd[1] == Approx(std::sqrt(2.96)).epsilon(1e-6));
  CHECK(z[1] == Approx((2.0 - 3.2) / std::sqrt(2.96)).epsilon(1e-6));
  // Centre is nodata: NaN out whatever its window holds.
  CHECK(std::isnan(mean[4]));
  CHECK(std::isnan(sd[4]));
  CHECK(std::isnan(z[4]));

  // A constant field gives std 0 and z = 0 (not NaN or inf).
  std::vector<float> c(12, 5.0f);
  std::vector<float> cz(12, 1.0f), cs(12, 1.0f);
  REQUIRE(moving_window_stats({c.data(), 4, 3}, p, scratch, {nullptr, cs.data(), cz.data()}).ok);
  for (int i = 0; i < 12; ++i) {
    CHECK(cs[i] == 0.0f);
    CHECK(cz[i] == 0.0f);
  }
}

TEST_CASE("moving window: all-NaN grid, huge radius, scratch reuse and bad parameters", "[window.local_z]") {
  WindowScratch scratch;
  std::vector<float> g(6, kNaN), z(6, 0.0f);
  REQUIRE(moving_window_stats({g.data(), 3, 2}, {}, scratch, {nullptr, nullptr, z.data()}).ok);
  for (float v : z)
    CHECK(std::isnan(v));

  // A radius far beyond the grid is the whole grid: every cell gets the global mean.
  std::vector<float> h = {1, 2, 3, 4, 5, 6};
  std::vector<float> m(6);
  LocalZParams p;
  p.radius = std::numeric_limits<std::int64_t>::max() / 2;
  REQUIRE(moving_window_stats({h.data(), 3, 2}, p, scratch, {m.data(), nullptr, nullptr}).ok);
  for (float v : m)
    CHECK(v == 3.5f);

  // Scratch only grows: a smaller grid after a larger one reuses the buffers.
  const std::size_t cap = scratch.exact.bytes();
  REQUIRE(cap >= 3 * sizeof(double));
  std::vector<float> s2 = {1, 2, 3, 4};
  REQUIRE(moving_window_stats({s2.data(), 2, 2}, p, scratch, {m.data(), nullptr, nullptr}).ok);
  CHECK(scratch.exact.bytes() == cap);
  CHECK(m[0] == 2.5f);

  p.radius = 0;
  CHECK_FALSE(moving_window_stats({h.data(), 3, 2}, p, scratch, {m.data(), nullptr, nullptr}).ok);
  // An output on top of the input is refused (the sliding sums read input rows after writing output rows).
  p.radius = 1;
  CHECK_FALSE(moving_window_stats({h.data(), 3, 2}, p, scratch, {nullptr, nullptr, h.data() + 1}).ok);
  // An infinite value is refused rather than spreading through the window sums.
  std::vector<float> inf = {1, 2, std::numeric_limits<float>::infinity(), 4};
  CHECK_FALSE(moving_window_stats({inf.data(), 2, 2}, p, scratch, {m.data(), nullptr, nullptr}).ok);
  p.radius = 1;
  CHECK_FALSE(moving_window_stats({nullptr, 3, 2}, p, scratch, {m.data(), nullptr, nullptr}).ok);
}

TEST_CASE("moving window: bit-identical with 1 and 2 threads", "[window.local_z][threads]") {
  // Wider than one column block and tall enough for both threads to get rows.
  const std::int64_t nx = 611, ny = 157;
  const auto g = random_grid(nx, ny, 58000.0, 30.0, 0.1, 3);
  LocalZParams p;
  p.radius = 7;
  const int saved = omp_get_max_threads();
  std::vector<float> m1(g.size()), s1(g.size()), z1(g.size()), m2(g.size()), s2(g.size()), z2(g.size());
  WindowScratch a, b;
  omp_set_num_threads(1);
  REQUIRE(moving_window_stats({g.data(), nx, ny}, p, a, {m1.data(), s1.data(), z1.data()}).ok);
  omp_set_num_threads(2);
  REQUIRE(moving_window_stats({g.data(), nx, ny}, p, b, {m2.data(), s2.data(), z2.data()}).ok);
  omp_set_num_threads(saved);
  const std::size_t bytes = g.size() * sizeof(float);
  CHECK(std::memcmp(m1.data(), m2.data(), bytes) == 0);
  CHECK(std::memcmp(s1.data(), s2.data(), bytes) == 0);
  CHECK(std::memcmp(z1.data(), z2.data(), bytes) == 0);
}

TEST_CASE("moving window: 58000 +- 1 field equals double brute force for radii 1 to 50", "[window.local_z]") {
  // 120 x 110 so that radius 50 windows are large but still clipped differently across the grid; 5 % holes.
  // Tolerance 1e-4 relative for mean and std; z also gets 1e-6 absolute, as z is near 0 at many cells.
  const std::int64_t nx = 120, ny = 110;
  const auto g = random_grid(nx, ny, 58000.0, 1.0, 0.05, 2024);
  WindowScratch scratch;
  for (std::int64_t radius : {1, 2, 5, 10, 20, 50}) {
    DYNAMIC_SECTION("radius " << radius) {
      LocalZParams p;
      p.radius = radius;
      std::vector<float> mean(g.size()), sd(g.size()), z(g.size());
      REQUIRE(moving_window_stats({g.data(), nx, ny}, p, scratch, {mean.data(), sd.data(), z.data()}).ok);
      const Ref ref = brute_force(g, nx, ny, p);
      check_against(mean, ref.mean, 1e-4, 0.0);
      check_against(sd, ref.std, 1e-4, 0.0);
      check_against(z, ref.z, 1e-4, 1e-6);
    }
  }
}

TEST_CASE("moving window: 58000 +- 1 field bit-identical with 1 and 2 threads for radii 1 to 50",
          "[window.local_z][threads]") {
  const std::int64_t nx = 120, ny = 110;
  const auto g = random_grid(nx, ny, 58000.0, 1.0, 0.05, 2024);
  const int saved = omp_get_max_threads();
  const std::size_t bytes = g.size() * sizeof(float);
  for (std::int64_t radius : {1, 2, 5, 10, 20, 50}) {
    LocalZParams p;
    p.radius = radius;
    std::vector<float> m1(g.size()), s1(g.size()), z1(g.size()), m2(g.size()), s2(g.size()), z2(g.size());
    WindowScratch a, b;
    omp_set_num_threads(1);
    REQUIRE(moving_window_stats({g.data(), nx, ny}, p, a, {m1.data(), s1.data(), z1.data()}).ok);
    omp_set_num_threads(2);
    REQUIRE(moving_window_stats({g.data(), nx, ny}, p, b, {m2.data(), s2.data(), z2.data()}).ok);
    INFO("radius " << radius);
    CHECK(std::memcmp(m1.data(), m2.data(), bytes) == 0);
    CHECK(std::memcmp(s1.data(), s2.data(), bytes) == 0);
    CHECK(std::memcmp(z1.data(), z2.data(), bytes) == 0);
  }
  omp_set_num_threads(saved);
}

TEST_CASE("moving window: radii beyond 127 (128-bit sums of squares) equal brute force", "[window.local_z]") {
  // Wide and short so that radius 130 and 200 windows are clipped differently along the row; 5 % holes.
  const std::int64_t nx = 300, ny = 12;
  const auto g = random_grid(nx, ny, 58000.0, 1.0, 0.05, 77);
  WindowScratch scratch;
  for (std::int64_t radius : {127, 128, 130, 200}) {
    DYNAMIC_SECTION("radius " << radius) {
      LocalZParams p;
      p.radius = radius;
      std::vector<float> mean(g.size()), sd(g.size()), z(g.size());
      REQUIRE(moving_window_stats({g.data(), nx, ny}, p, scratch, {mean.data(), sd.data(), z.data()}).ok);
      const Ref ref = brute_force(g, nx, ny, p);
      check_against(mean, ref.mean, 1e-7, 0.0);
      check_against(sd, ref.std, 1e-4, 0.0);
      check_against(z, ref.z, 1e-4, 1e-6);
    }
  }
}
