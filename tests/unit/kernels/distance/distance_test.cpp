#include "kernels/distance/distance.hpp"

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

// Brute force: the smallest distance from each cell centre to a feature cell centre.
std::vector<float> brute_edt(const std::vector<std::uint8_t>& f, std::int64_t nx, std::int64_t ny,
                             double cell) {
  std::vector<float> out(f.size(), std::numeric_limits<float>::quiet_NaN());
  for (std::int64_t r = 0; r < ny; ++r)
    for (std::int64_t c = 0; c < nx; ++c) {
      std::int64_t best = -1;
      for (std::int64_t r2 = 0; r2 < ny; ++r2)
        for (std::int64_t c2 = 0; c2 < nx; ++c2)
          if (f[static_cast<size_t>(r2 * nx + c2)]) {
            const std::int64_t d = (r - r2) * (r - r2) + (c - c2) * (c - c2);
            if (best < 0 || d < best) best = d;
          }
      if (best >= 0)
        out[static_cast<size_t>(r * nx + c)] = static_cast<float>(cell * std::sqrt(double(best)));
    }
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

} // namespace

TEST_CASE("distance.edt equals the brute-force minimum bit for bit, for any thread count", "[distance.edt]") {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 12; ++trial) {
    const std::int64_t nx = 1 + static_cast<std::int64_t>(rng() % 37),
                       ny = 1 + static_cast<std::int64_t>(rng() % 29);
    const double density = trial % 3 == 0 ? 0.002 : (trial % 3 == 1 ? 0.05 : 0.4);
    std::vector<std::uint8_t> f(static_cast<size_t>(nx * ny));
    for (auto& v : f)
      v = std::uniform_real_distribution<double>(0, 1)(rng) < density ? 1 : 0;
    if (trial == 0) f[static_cast<size_t>(nx * ny - 1)] = 1; // one feature in a corner
    const auto want = brute_edt(f, nx, ny, 25.0);
    for (int threads : {1, 3, 8}) {
      omp_set_num_threads(threads);
      std::vector<float> got(f.size());
      REQUIRE(euclidean_distance(f.data(), nx, ny, {25.0}, got.data()).ok);
      INFO("trial " << trial << " " << nx << "x" << ny << " threads " << threads);
      CHECK(same_bits(got, want));
    }
  }
  omp_set_num_threads(omp_get_num_procs());
}

TEST_CASE("distance.edt: no feature gives NaN, bad arguments are refused", "[distance.edt]") {
  std::vector<std::uint8_t> f(12, 0);
  std::vector<float> out(12, 0.0f);
  REQUIRE(euclidean_distance(f.data(), 4, 3, {1.0}, out.data()).ok);
  for (float v : out)
    CHECK(std::isnan(v));
  CHECK_FALSE(euclidean_distance(f.data(), 4, 3, {0.0}, out.data()).ok);
  CHECK_FALSE(euclidean_distance(f.data(), -1, 3, {1.0}, out.data()).ok);
}

TEST_CASE("distance.segment_lengths: a segment's cell parts sum to its length and fall in the right cells",
          "[distance.segment_lengths]") {
  SegmentGrid g{100.0, 500.0, 10.0, 8, 6}; // x 100..180, y 440..500
  std::vector<double> len(48, 0.0);
  // Horizontal along row 2 (y = 475) from x = 105 to 135: 5 in col 0, 10 in cols 1, 2, 5 in col 3.
  const double ax[] = {105.0}, ay[] = {475.0}, bx[] = {135.0}, by[] = {475.0};
  REQUIRE(segment_lengths(ax, ay, bx, by, 1, g, len.data()).ok);
  CHECK(len[2 * 8 + 0] == Approx(5.0));
  CHECK(len[2 * 8 + 1] == Approx(10.0));
  CHECK(len[2 * 8 + 2] == Approx(10.0));
  CHECK(len[2 * 8 + 3] == Approx(5.0));
  // A diagonal crossing the whole grid and beyond: the parts inside sum to the clipped length.
  std::fill(len.begin(), len.end(), 0.0);
  const double cx[] = {90.0}, cy[] = {510.0}, dx[] = {190.0}, dy[] = {430.0};
  REQUIRE(segment_lengths(cx, cy, dx, dy, 1, g, len.data()).ok);
  double sum = 0;
  for (double v : len)
    sum += v;
  // The line y = 510 - 0.8 (x - 90) enters at x = 102.5 (y = 500) and leaves at x = 177.5 (y = 440).
  CHECK(sum == Approx(std::hypot(75.0, 60.0)).epsilon(1e-12));
  for (std::int64_t r = 0; r < 6; ++r)
    for (std::int64_t c = 0; c < 8; ++c) {
      if (len[static_cast<size_t>(r * 8 + c)] == 0) continue;
      // Every cell with length is crossed by the line: it has corners on both sides (or on it).
      const double x0 = 100 + 10.0 * c, y0 = 500 - 10.0 * r;
      double lo = 1e300, hi = -1e300;
      for (double x : {x0, x0 + 10})
        for (double y : {y0, y0 - 10}) {
          const double s = y - (510 - 0.8 * (x - 90));
          lo = std::min(lo, s);
          hi = std::max(hi, s);
        }
      CHECK(lo <= 0);
      CHECK(hi >= 0);
    }
}

TEST_CASE("distance.circular_density equals a brute-force window sum for any thread count",
          "[distance.circular_density]") {
  std::mt19937_64 rng(7);
  const std::int64_t nx = 23, ny = 17;
  const double cell = 50.0;
  std::vector<double> v(static_cast<size_t>(nx * ny));
  for (auto& x : v)
    x = std::uniform_real_distribution<double>(0, 1)(rng) < 0.2
            ? std::uniform_real_distribution<double>(0, 70)(rng)
            : 0.0;
  for (double radius : {25.0, 120.0, 260.0}) {
    std::vector<float> want(v.size());
    for (std::int64_t r = 0; r < ny; ++r)
      for (std::int64_t c = 0; c < nx; ++c) {
        double s = 0;
        // Same summation order as the kernel: offsets by row, then column.
        for (std::int64_t a = -ny; a <= ny; ++a)
          for (std::int64_t b = -nx; b <= nx; ++b) {
            const std::int64_t r2 = r + a, c2 = c + b;
            if (r2 < 0 || r2 >= ny || c2 < 0 || c2 >= nx) continue;
            if (std::hypot(a * cell, b * cell) <= radius * (1 + 1e-12))
              s += v[static_cast<size_t>(r2 * nx + c2)];
          }
        want[static_cast<size_t>(r * nx + c)] = static_cast<float>(s / (M_PI * radius * radius));
      }
    for (int threads : {1, 4}) {
      omp_set_num_threads(threads);
      std::vector<float> got(v.size());
      REQUIRE(circular_density(v.data(), nx, ny, {cell, radius}, got.data()).ok);
      INFO("radius " << radius << " threads " << threads);
      CHECK(same_bits(got, want));
    }
  }
  omp_set_num_threads(omp_get_num_procs());
  std::vector<float> out(v.size());
  CHECK_FALSE(circular_density(v.data(), nx, ny, {cell, 10.0}, out.data()).ok);
}

TEST_CASE("distance.point_counts counts the points of each cell and drops those outside",
          "[distance.point_counts]") {
  SegmentGrid g{0.0, 30.0, 10.0, 3, 3};
  std::vector<double> cnt(9, 0.0);
  const double x[] = {5, 5, 15, 29.9, -1, 31, 20};
  const double y[] = {25, 26, 5, 0.1, 5, 5, 20};
  REQUIRE(point_counts(x, y, 7, g, cnt.data()).ok);
  CHECK(cnt[0] == 2);         // (5, 25), (5, 26): row 0, col 0
  CHECK(cnt[2 * 3 + 1] == 1); // (15, 5)
  CHECK(cnt[2 * 3 + 2] == 1); // (29.9, 0.1)
  CHECK(cnt[1 * 3 + 2] == 1); // (20, 20): on the inner edges, counts east and south
  double total = 0;
  for (double c : cnt)
    total += c;
  CHECK(total == 5);
}

namespace {

// Brute force over all pairs: crossing points of segments of different owners (tolerance 0).
std::vector<std::pair<double, double>>
brute_crossings(const std::vector<double>& ax, const std::vector<double>& ay, const std::vector<double>& bx,
                const std::vector<double>& by, const std::vector<std::int64_t>& owner) {
  std::vector<std::pair<double, double>> out;
  for (size_t i = 0; i < ax.size(); ++i)
    for (size_t j = i + 1; j < ax.size(); ++j) {
      if (owner[i] == owner[j]) continue;
      const double rx = bx[i] - ax[i], ry = by[i] - ay[i], sx = bx[j] - ax[j], sy = by[j] - ay[j];
      const double den = rx * sy - ry * sx;
      if (den == 0) continue;
      const double t = ((ax[j] - ax[i]) * sy - (ay[j] - ay[i]) * sx) / den;
      const double u = ((ax[j] - ax[i]) * ry - (ay[j] - ay[i]) * rx) / den;
      if (t >= 0 && t <= 1 && u >= 0 && u <= 1) out.emplace_back(ax[i] + t * rx, ay[i] + t * ry);
    }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("distance.segment_intersections equals brute force on random lines, for any bucket size",
          "[distance]") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> pos(0.0, 1000.0), step(-80.0, 80.0);
  std::vector<double> ax, ay, bx, by;
  std::vector<std::int64_t> owner;
  for (int line = 0; line < 60; ++line) {
    double x = pos(rng), y = pos(rng);
    for (int s = 0; s < 6; ++s) {
      const double nx = x + step(rng), ny = y + step(rng);
      ax.push_back(x);
      ay.push_back(y);
      bx.push_back(nx);
      by.push_back(ny);
      owner.push_back(line);
      x = nx;
      y = ny;
    }
  }
  const auto want = brute_crossings(ax, ay, bx, by, owner);
  REQUIRE(want.size() > 20);
  for (double bucket : {7.0, 50.0, 400.0, 5000.0}) {
    std::vector<double> x, y;
    REQUIRE(segment_intersections(ax.data(), ay.data(), bx.data(), by.data(), owner.data(),
                                  static_cast<std::int64_t>(ax.size()), {0.0, bucket}, x, y)
                .ok);
    REQUIRE(x.size() == want.size());
    for (size_t k = 0; k < x.size(); ++k) {
      CHECK(x[k] == Approx(want[k].first).margin(1e-6));
      CHECK(y[k] == Approx(want[k].second).margin(1e-6));
    }
  }
}

TEST_CASE("distance.segment_intersections: junctions within the tolerance, parallel lines, one owner",
          "[distance]") {
  // A north-south fault x = 100 from y = 0 to 200; an east-west fault ending 3 units short of it at y = 50;
  // a parallel one at x = 110 (never meets); a second segment of the first fault's owner crossing it.
  const std::vector<double> ax = {100, 0, 110, 90}, ay = {0, 50, 0, 100}, bx = {100, 97, 110, 120},
                            by = {200, 50, 200, 100};
  const std::vector<std::int64_t> owner = {1, 2, 3, 1};
  std::vector<double> x, y;
  REQUIRE(
      segment_intersections(ax.data(), ay.data(), bx.data(), by.data(), owner.data(), 4, {5.0, 20.0}, x, y)
          .ok);
  // The undershooting fault meets the first at (100, 50); the segment of owner 1 crosses the parallel fault
  // at (110, 100) (a different owner) but not its own line.
  REQUIRE(x.size() == 2);
  CHECK(x[0] == Approx(100.0));
  CHECK(y[0] == Approx(50.0));
  CHECK(x[1] == Approx(110.0));
  CHECK(y[1] == Approx(100.0));
  REQUIRE(
      segment_intersections(ax.data(), ay.data(), bx.data(), by.data(), owner.data(), 4, {2.0, 20.0}, x, y)
          .ok);
  CHECK(x.size() == 1); // 3 units short is beyond a tolerance of 2
  // Collinear overlapping segments of two owners meet at an endpoint.
  const std::vector<double> cx = {0, 5}, cy = {0, 0}, dx = {10, 20}, dy = {0, 0};
  const std::vector<std::int64_t> o2 = {1, 2};
  REQUIRE(
      segment_intersections(cx.data(), cy.data(), dx.data(), dy.data(), o2.data(), 2, {0.0, 4.0}, x, y).ok);
  CHECK(x.size() == 1);
  const double bad = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(
      segment_intersections(&bad, cy.data(), dx.data(), dy.data(), o2.data(), 1, {0.0, 4.0}, x, y).ok);
  CHECK_FALSE(
      segment_intersections(cx.data(), cy.data(), dx.data(), dy.data(), o2.data(), 2, {0.0, 0.0}, x, y).ok);
}
