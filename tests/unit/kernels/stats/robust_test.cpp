#include "kernels/stats/robust.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {
const float kNaN = std::numeric_limits<float>::quiet_NaN();
}

TEST_CASE("robust_location: odd count with NaNs", "[stats.robust_location]") {
  // Valid values 3,1,7,2,10 -> sorted 1,2,3,7,10: median 3; |dev| 0,2,4,1,7 -> sorted 0,1,2,4,7: MAD 2.
  std::vector<float> g = {3, kNaN, 1, 7, 2, kNaN, 10, kNaN};
  std::vector<float> scratch;
  RobustLocation loc;
  REQUIRE(robust_location({g.data(), 4, 2}, scratch, loc).ok);
  CHECK(loc.median == 3.0);
  CHECK(loc.mad == 2.0);
  CHECK(loc.scale == Approx(1.4826 * 2.0).epsilon(1e-15));
  CHECK(loc.count == 5);
  CHECK(scratch.size() <= 5);
}

TEST_CASE("robust_location: even count takes the mean of the two middle values", "[stats.robust_location]") {
  // Valid 4,1,8,2,6,100 -> sorted 1,2,4,6,8,100: median (4+6)/2 = 5; |dev| 1,4,3,3,1,95 -> sorted
  // 1,1,3,3,4,95: MAD (3+3)/2 = 3. The outlier 100 moves neither.
  std::vector<float> g = {4, kNaN, 1, 8, 2, 6, kNaN, 100};
  std::vector<float> scratch;
  RobustLocation loc;
  REQUIRE(robust_location({g.data(), 8, 1}, scratch, loc).ok);
  CHECK(loc.median == 5.0);
  CHECK(loc.mad == 3.0);
  CHECK(loc.count == 6);

  // Even count where the two middle values differ by an odd amount: 1,2 -> 1.5; |dev| 0.5,0.5 -> 0.5.
  std::vector<float> h = {2, 1};
  REQUIRE(robust_location({h.data(), 2, 1}, scratch, loc).ok);
  CHECK(loc.median == 1.5);
  CHECK(loc.mad == 0.5);
}

TEST_CASE("robust_location: constant data, single value and no valid cells", "[stats.robust_location]") {
  std::vector<float> scratch;
  RobustLocation loc;
  std::vector<float> c = {7, 7, kNaN, 7};
  REQUIRE(robust_location({c.data(), 2, 2}, scratch, loc).ok);
  CHECK(loc.median == 7.0);
  CHECK(loc.mad == 0.0);
  CHECK(loc.scale == 0.0);

  std::vector<float> one = {kNaN, -2.5f};
  REQUIRE(robust_location({one.data(), 2, 1}, scratch, loc).ok);
  CHECK(loc.median == -2.5);
  CHECK(loc.count == 1);

  std::vector<float> none = {kNaN, kNaN, kNaN};
  CHECK_FALSE(robust_location({none.data(), 3, 1}, scratch, loc).ok);
  CHECK_FALSE(robust_location({nullptr, 3, 1}, scratch, loc).ok);
}

TEST_CASE("robust_location: large offset keeps the MAD precise", "[stats.robust_location]") {
  // 58000 + {-1, -0.5, 0, 0.5, 1}: median 58000, |dev| 1,0.5,0,0.5,1 -> MAD 0.5 (all exact in float).
  std::vector<float> g = {58001.0f, 57999.5f, 58000.0f, 58000.5f, 57999.0f};
  std::vector<float> scratch;
  RobustLocation loc;
  REQUIRE(robust_location({g.data(), 5, 1}, scratch, loc).ok);
  CHECK(loc.median == 58000.0);
  CHECK(loc.mad == 0.5);
}

namespace {
// Median and MAD by sorting a copy: the definition the selection must reproduce exactly.
void sorted_reference(const std::vector<float>& g, double& median, double& mad) {
  std::vector<float> v;
  for (float x : g)
    if (!std::isnan(x)) v.push_back(x);
  auto mid = [](std::vector<float>& w) {
    std::sort(w.begin(), w.end());
    const std::size_t n = w.size();
    return n % 2 == 1 ? static_cast<double>(w[n / 2])
                      : 0.5 * (static_cast<double>(w[n / 2 - 1]) + static_cast<double>(w[n / 2]));
  };
  median = mid(v);
  for (auto& x : v)
    x = static_cast<float>(std::abs(static_cast<double>(x) - median));
  mad = mid(v);
}
} // namespace

TEST_CASE("robust_location: equals sorting on spread, concentrated and repetitive data, any thread count",
          "[stats.robust_location][threads]") {
  std::mt19937 g(2024);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  // Each shape sends the selection down a different path: spread values are gathered after the first digit,
  // a field on a large offset after later ones, and a few repeated values (or one) go through every digit.
  const std::vector<std::pair<const char*, std::function<float(std::int64_t)>>> shapes = {
      {"log-spread, both signs",
       [&](std::int64_t) { return std::exp(8.0f * normal(g)) * (unit(g) < 0.3f ? -1.0f : 1.0f); }},
      {"58000 +- 1", [&](std::int64_t) { return 58000.0f + normal(g); }},
      {"four repeated values", [&](std::int64_t i) { return static_cast<float>(i % 4) - 1.0f; }},
      {"zeros of both signs and ones",
       [&](std::int64_t i) { return i % 3 == 0 ? -0.0f : (i % 3 == 1 ? 0.0f : 1.0f); }},
      {"constant", [&](std::int64_t) { return 7.25f; }},
  };
  const int saved = omp_get_max_threads();
  for (const auto& [name, draw] : shapes)
    for (std::int64_t n : {std::int64_t{200001}, std::int64_t{200002}, std::int64_t{37}}) {
      INFO(name << ", " << n << " cells");
      std::vector<float> v(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i)
        v[static_cast<std::size_t>(i)] = i % 97 == 5 ? kNaN : draw(i);
      double median = 0.0, mad = 0.0;
      sorted_reference(v, median, mad);
      for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        std::vector<float> scratch;
        RobustLocation loc;
        REQUIRE(robust_location({v.data(), n, 1}, scratch, loc).ok);
        CHECK(loc.median == median);
        CHECK(loc.mad == mad);
        CHECK(loc.count == n - (n + 91) / 97);
      }
    }
  omp_set_num_threads(saved);
}

TEST_CASE("robust_z: values, NaN passthrough and aliasing", "[stats.robust_z]") {
  // Median 5, MAD 3 (see the even-count case): z = (x - 5) / (1.4826 * 3) = (x - 5) / 4.4478.
  std::vector<float> g = {4, kNaN, 1, 8, 2, 6, kNaN, 100};
  std::vector<float> scratch;
  RobustLocation loc;
  REQUIRE(robust_location({g.data(), 4, 2}, scratch, loc).ok);
  std::vector<float> z(g.size());
  REQUIRE(robust_z({g.data(), 4, 2}, loc, {}, {z.data(), 4, 2}).ok);
  const double s = 4.4478;
  CHECK(z[0] == Approx(-1.0 / s).epsilon(1e-6));
  CHECK(std::isnan(z[1]));
  CHECK(z[2] == Approx(-4.0 / s).epsilon(1e-6));
  CHECK(z[3] == Approx(3.0 / s).epsilon(1e-6));
  CHECK(z[4] == Approx(-3.0 / s).epsilon(1e-6));
  CHECK(z[5] == Approx(1.0 / s).epsilon(1e-6));
  CHECK(std::isnan(z[6]));
  CHECK(z[7] == Approx(95.0 / s).epsilon(1e-6));

  // In place gives the same result.
  std::vector<float> inplace = g;
  REQUIRE(robust_z({inplace.data(), 4, 2}, loc, {}, {inplace.data(), 4, 2}).ok);
  CHECK(std::memcmp(inplace.data(), z.data(), z.size() * sizeof(float)) == 0);
}

TEST_CASE("robust_z: a degenerate spread gives NaN everywhere, and bad arguments are rejected",
          "[stats.robust_z]") {
  std::vector<float> g = {7, 7, kNaN, 7, 8};
  std::vector<float> scratch;
  RobustLocation loc;
  REQUIRE(robust_location({g.data(), 5, 1}, scratch, loc).ok);
  REQUIRE(loc.mad == 0.0);
  CHECK(robust_spread_degenerate(loc, {}));
  std::vector<float> z(5, 123.0f);
  REQUIRE(robust_z({g.data(), 5, 1}, loc, {}, {z.data(), 5, 1}).ok);
  for (float v : z)
    CHECK(std::isnan(v)); // it used to be 0 at every valid cell: a flat, "valid" grid

  CHECK_FALSE(robust_z({g.data(), 5, 1}, loc, {}, {z.data(), 1, 5}).ok);
  RobustLocation bad = loc;
  bad.median = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(robust_z({g.data(), 5, 1}, bad, {}, {z.data(), 5, 1}).ok);
}

TEST_CASE("robust_z: the floor is relative to the median, not absolute", "[stats.robust_z]") {
  std::vector<float> scratch;
  RobustLocation loc;
  SECTION("values scaled by 1e-20 keep their z-scores (the old absolute 1e-12 floor flattened them)") {
    std::vector<float> g = {1e-20f, 2e-20f, 3e-20f, 4e-20f, 9e-20f};
    REQUIRE(robust_location({g.data(), 5, 1}, scratch, loc).ok);
    CHECK_FALSE(robust_spread_degenerate(loc, {}));
    std::vector<float> z(5);
    REQUIRE(robust_z({g.data(), 5, 1}, loc, {}, {z.data(), 5, 1}).ok);
    // median 3e-20, MAD 1e-20: z = (x - 3e-20) / 1.4826e-20.
    CHECK(z[4] == Approx(6.0 / 1.4826).epsilon(1e-5));
    CHECK(z[2] == Approx(0.0).margin(1e-6));
  }
  SECTION("values near 1e20 keep theirs") {
    std::vector<float> g = {1e20f, 2e20f, 3e20f, 4e20f, 9e20f};
    REQUIRE(robust_location({g.data(), 5, 1}, scratch, loc).ok);
    std::vector<float> z(5);
    REQUIRE(robust_z({g.data(), 5, 1}, loc, {}, {z.data(), 5, 1}).ok);
    CHECK(z[0] == Approx(-2.0 / 1.4826).epsilon(1e-5));
  }
  SECTION("a spread of a few float ulps on a large offset is rounding: degenerate") {
    std::vector<float> g = {58000.0f,
                            58000.0f,
                            std::nextafter(58000.0f, 1e9f),
                            58000.0f,
                            std::nextafter(58000.0f, 0.0f),
                            std::nextafter(58000.0f, 1e9f)};
    REQUIRE(robust_location({g.data(), 6, 1}, scratch, loc).ok);
    REQUIRE(loc.mad > 0.0);
    CHECK(robust_spread_degenerate(loc, {}));
  }
  SECTION("a binary map (MAD 0) is degenerate; one with half ones is not") {
    std::vector<float> g(100, 0.0f);
    for (int i = 0; i < 20; ++i)
      g[static_cast<size_t>(i)] = 1.0f;
    REQUIRE(robust_location({g.data(), 100, 1}, scratch, loc).ok);
    CHECK(robust_spread_degenerate(loc, {}));
    for (int i = 0; i < 50; ++i)
      g[static_cast<size_t>(i)] = 1.0f;
    REQUIRE(robust_location({g.data(), 100, 1}, scratch, loc).ok);
    CHECK_FALSE(robust_spread_degenerate(loc, {}));
  }
}

TEST_CASE("robust_z: bit-identical with 1 and 2 threads", "[stats.robust_z][threads]") {
  const std::int64_t nx = 301, ny = 207;
  std::vector<float> g(nx * ny);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> u(-50.0f, 50.0f);
  for (std::size_t i = 0; i < g.size(); ++i)
    g[i] = (i % 13 == 0) ? kNaN : u(rng);
  std::vector<float> scratch;
  RobustLocation loc;
  REQUIRE(robust_location({g.data(), nx, ny}, scratch, loc).ok);

  const int saved = omp_get_max_threads();
  std::vector<float> z1(g.size()), z2(g.size());
  omp_set_num_threads(1);
  REQUIRE(robust_z({g.data(), nx, ny}, loc, {}, {z1.data(), nx, ny}).ok);
  omp_set_num_threads(2);
  REQUIRE(robust_z({g.data(), nx, ny}, loc, {}, {z2.data(), nx, ny}).ok);
  omp_set_num_threads(saved);
  CHECK(std::memcmp(z1.data(), z2.data(), z1.size() * sizeof(float)) == 0);
}
