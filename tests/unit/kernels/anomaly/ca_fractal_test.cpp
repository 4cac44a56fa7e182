#include "kernels/anomaly/ca_fractal.hpp"
#include "kernels/registry.hpp"

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

// Values whose survival function P(V >= v) is a piecewise power law: slope -a[0] in log-log from v = 1 up
// to breaks[0], then -a[1] up to breaks[1], ... (continuous). Drawn by inversion from u in (0, 1]; with
// `stratified` u runs through (k + 0.5) / n, else it comes from a seeded mt19937_64.
std::vector<float> piecewise_power_law(std::int64_t n, const std::vector<double>& a,
                                       const std::vector<double>& breaks, bool stratified, unsigned seed) {
  std::mt19937_64 g(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {
    const double u = stratified ? (static_cast<double>(k) + 0.5) / static_cast<double>(n)
                                : (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53;
    // Walk the segments: S at the start of segment j is s0, S(v) = s0 (v / v0)^-a_j.
    double v0 = 1.0, s0 = 1.0, x = 0.0;
    for (std::size_t j = 0; j < a.size(); ++j) {
      const double s_end = j < breaks.size() ? s0 * std::pow(breaks[j] / v0, -a[j]) : 0.0;
      if (u > s_end) {
        x = v0 * std::pow(u / s0, -1.0 / a[j]);
        break;
      }
      v0 = breaks[j];
      s0 = s_end;
    }
    v[k] = static_cast<float>(x);
  }
  return v;
}

} // namespace

TEST_CASE("C-A fractal: counts A(>= v) exactly on a hand example", "[fractal]") {
  // Values 1, 2, 4, 8 (and nodata, a zero and a negative value, which are skipped), 4 thresholds from 1 to 8
  // on a log grid: exactly 1, 2, 4, 8, so A = 4, 3, 2, 1.
  const std::vector<float> v = {4, kNaN, 1, 8, 0, 2, -3};
  CaFractalParams p;
  p.thresholds = 4;
  p.min_points = 2;
  p.segments = 1;
  CaFractalScratch sc;
  CaFractalResult r;
  REQUIRE(ca_fractal(v.data(), 7, p, sc, r).ok);
  CHECK(r.valid == 4);
  CHECK(r.skipped == 2);
  REQUIRE(r.threshold.size() == 4);
  CHECK(r.threshold[0] == 1.0);
  CHECK(r.threshold[1] == Approx(2.0).epsilon(1e-14));
  CHECK(r.threshold[3] == 8.0);
  CHECK(r.area == std::vector<std::int64_t>{4, 3, 2, 1});
  // One line through (0, log 4), (log 2, log 3), (log 4, log 2), (log 8, 0) in log10, by least squares with
  // weights A (the constant ln(10)^2 cancels) and without.
  const double x[4] = {0.0, std::log10(2.0), std::log10(4.0), std::log10(8.0)};
  const double y[4] = {std::log10(4.0), std::log10(3.0), std::log10(2.0), 0.0};
  for (const bool weighted : {true, false}) {
    const double w[4] = {weighted ? 4.0 : 1.0, weighted ? 3.0 : 1.0, weighted ? 2.0 : 1.0, 1.0};
    double sw = 0, mx = 0, my = 0;
    for (int i = 0; i < 4; ++i) {
      sw += w[i];
      mx += w[i] * x[i];
      my += w[i] * y[i];
    }
    mx /= sw;
    my /= sw;
    double sxy = 0, sxx = 0, sse = 0;
    for (int i = 0; i < 4; ++i) {
      sxy += w[i] * (x[i] - mx) * (y[i] - my);
      sxx += w[i] * (x[i] - mx) * (x[i] - mx);
    }
    const double b = sxy / sxx, a = my - b * mx;
    for (int i = 0; i < 4; ++i)
      sse += w[i] * (y[i] - a - b * x[i]) * (y[i] - a - b * x[i]);
    p.weighted = weighted;
    REQUIRE(ca_fractal(v.data(), 7, p, sc, r).ok);
    REQUIRE(r.segments == 1);
    CHECK(r.slopes[0] == Approx(b).epsilon(1e-12));
    CHECK(r.intercepts[0] == Approx(a).epsilon(1e-12));
    CHECK(r.sse == Approx(sse * (weighted ? std::log(10.0) * std::log(10.0) : 1.0)).epsilon(1e-9));
  }
  // Thresholds above every value: a value range given by the caller.
  p.min_value = 2.0;
  p.max_value = 16.0;
  REQUIRE(ca_fractal(v.data(), 7, p, sc, r).ok);
  CHECK(r.area == std::vector<std::int64_t>{3, 2, 1, 0});
  CHECK(r.points == 3);
}

TEST_CASE("C-A fractal: two populations, the planted break is recovered", "[fractal]") {
  // Background: fractal dimension 1 (A ~ v^-1) from 1 to 10; anomaly above 10: A ~ v^-2.5. 200 x 200 cells
  // of random draws. The log grid step is log10(vmax) / 99, about 0.025; tolerance: two steps (over 40
  // seeds the weighted fit stayed within 1.2 steps, the unweighted one strayed up to 7).
  const std::int64_t n = 200 * 200;
  const auto v = piecewise_power_law(n, {1.0, 2.5}, {10.0}, false, 42);
  CaFractalParams p;
  CaFractalScratch sc;
  CaFractalResult r;
  REQUIRE(ca_fractal(v.data(), n, p, sc, r).ok);
  REQUIRE(r.segments == 2);
  CHECK(r.points == 100);
  const double step = std::log10(r.threshold[1] / r.threshold[0]);
  CHECK(std::abs(std::log10(r.breaks[0]) - 1.0) <= 2.0 * step);
  CHECK(std::abs(std::log10(r.break_lines[0]) - 1.0) <= 2.0 * step);
  CHECK(r.slopes[0] == Approx(-1.0).margin(0.05));
  CHECK(r.slopes[1] == Approx(-2.5).margin(0.15));
  CHECK(r.threshold[r.break_index[0]] == r.breaks[0]);

  // Stratified draws (A exact up to rounding): the break lands on the first threshold above 10.
  const auto w = piecewise_power_law(n, {1.0, 2.5}, {10.0}, true, 0);
  REQUIRE(ca_fractal(w.data(), n, p, sc, r).ok);
  CHECK(r.breaks[0] >= 10.0);
  CHECK(r.threshold[r.break_index[0] - 1] < 10.0);
  CHECK(r.slopes[0] == Approx(-1.0).margin(0.01));
  CHECK(r.slopes[1] == Approx(-2.5).margin(0.02));
}

TEST_CASE("C-A fractal: three populations with max_segments = 3", "[fractal]") {
  const std::int64_t n = 300 * 300;
  const auto v = piecewise_power_law(n, {0.6, 1.8, 0.9}, {5.0, 20.0}, true, 0);
  CaFractalParams p;
  p.segments = 3;
  p.thresholds = 120;
  CaFractalScratch sc;
  CaFractalResult r;
  REQUIRE(ca_fractal(v.data(), n, p, sc, r).ok);
  REQUIRE(r.segments == 3);
  const double step = std::log10(r.threshold[1] / r.threshold[0]);
  CHECK(std::abs(std::log10(r.breaks[0]) - std::log10(5.0)) <= 2.0 * step);
  CHECK(std::abs(std::log10(r.breaks[1]) - std::log10(20.0)) <= 2.0 * step);
  CHECK(r.slopes[0] == Approx(-0.6).margin(0.05));
  CHECK(r.slopes[1] == Approx(-1.8).margin(0.05));
  CHECK(r.slopes[2] == Approx(-0.9).margin(0.1));
}

TEST_CASE("C-A fractal: errors and thread independence", "[fractal][threads]") {
  CaFractalScratch sc;
  CaFractalResult r;
  const std::vector<float> flat(10, 2.0f), none(3, kNaN);
  CHECK_FALSE(ca_fractal(flat.data(), 10, CaFractalParams{}, sc, r).ok); // constant: empty range
  CHECK_FALSE(ca_fractal(none.data(), 3, CaFractalParams{}, sc, r).ok);
  CaFractalParams bad;
  bad.segments = 4;
  CHECK_FALSE(ca_fractal(flat.data(), 10, bad, sc, r).ok);
  bad = CaFractalParams{};
  bad.thresholds = 3;
  CHECK_FALSE(ca_fractal(flat.data(), 10, bad, sc, r).ok);
  const std::vector<float> few = {1, 2, 3};
  bad = CaFractalParams{};
  bad.min_area = 5; // no threshold has 5 cells above it: no point to fit
  CHECK_FALSE(ca_fractal(few.data(), 3, bad, sc, r).ok);

  const std::int64_t n = 150 * 150;
  const auto v = piecewise_power_law(n, {1.0, 2.0}, {8.0}, false, 7);
  const int saved = omp_get_max_threads();
  CaFractalResult r1, r2;
  omp_set_num_threads(1);
  REQUIRE(ca_fractal(v.data(), n, CaFractalParams{}, sc, r1).ok);
  omp_set_num_threads(2);
  REQUIRE(ca_fractal(v.data(), n, CaFractalParams{}, sc, r2).ok);
  omp_set_num_threads(saved);
  CHECK(r1.area == r2.area);
  CHECK(r1.break_index == r2.break_index);
  CHECK(r1.slopes == r2.slopes);
}

TEST_CASE("C-A fractal: registry record", "[fractal]") {
  const KernelInfo* k = find_kernel("anomaly.ca_fractal");
  REQUIRE(k != nullptr);
  const CaFractalParams d;
  auto num = [&](const char* name) {
    for (const auto& p : k->params)
      if (p.name == name) return std::stod(p.default_value);
    FAIL("missing parameter " << name);
    return 0.0;
  };
  CHECK(num("thresholds") == static_cast<double>(d.thresholds));
  CHECK(num("min_value") == d.min_value);
  CHECK(num("max_value") == d.max_value);
  CHECK(num("segments") == static_cast<double>(d.segments));
  CHECK(num("min_points") == static_cast<double>(d.min_points));
  CHECK(num("min_area") == d.min_area);
  CHECK(num("weighted") == (d.weighted ? 1.0 : 0.0));
  CHECK(k->params.size() == 7);
}

TEST_CASE("C-A fractal: the fit alone, on areas counted by the caller, equals the whole kernel",
          "[fractal]") {
  const std::int64_t n = 200 * 200;
  const auto v = piecewise_power_law(n, {1.0, 2.5}, {10.0}, false, 7);
  CaFractalParams p;
  CaFractalScratch sc;
  CaFractalResult whole;
  REQUIRE(ca_fractal(v.data(), n, p, sc, whole).ok);
  // The caller's own grid and counts (as the targets stage does from sorted runs).
  std::vector<float> sorted(v.begin(), v.end());
  std::sort(sorted.begin(), sorted.end());
  CaFractalResult part;
  ca_threshold_grid(sorted.front(), sorted.back(), p.thresholds, part.threshold);
  CHECK(part.threshold == whole.threshold);
  for (double t : part.threshold)
    part.area.push_back(sorted.end() - std::lower_bound(sorted.begin(), sorted.end(), t,
                                                        [](float x, double y) { return x < y; }));
  CHECK(part.area == whole.area);
  REQUIRE(ca_fractal_fit(p, part).ok);
  CHECK(part.breaks == whole.breaks);
  CHECK(part.slopes == whole.slopes);
  // Bad input: areas missing.
  part.area.pop_back();
  CHECK_FALSE(ca_fractal_fit(p, part).ok);
}
