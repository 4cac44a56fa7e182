#include "kernels/validation/rate_curve.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Mann-Whitney form of the same area, computed by brute force: for each deposit the share of valid cells
// ranked below it, counting cells with an equal score (itself included) as half.
double brute_auc(const std::vector<float>& score, const std::vector<std::int64_t>& deps) {
  double sum = 0.0;
  std::int64_t m = 0;
  for (std::int64_t d : deps) {
    const float s = score[d];
    if (std::isnan(s)) continue;
    double below = 0.0, valid = 0.0;
    for (float v : score) {
      if (std::isnan(v)) continue;
      valid += 1.0;
      if (v < s) below += 1.0;
      if (v == s) below += 0.5;
    }
    sum += below / valid;
    ++m;
  }
  return sum / static_cast<double>(m);
}

} // namespace

TEST_CASE("rate curve: hand-checked curve, AUC and capture efficiency", "[validation]") {
  // 12 cells, two of them NaN; the 10 valid cells have distinct scores. Ranked by descending score the
  // deposits are at ranks 1, 3, 4 and 8; a fifth deposit sits on a NaN cell and is ignored.
  const std::vector<float> score = {10, 8, kNaN, 7, 9, 6, 5, 4, 3, kNaN, 2, 1};
  // ranks: 10 -> 1, 9 -> 2, 8 -> 3, 7 -> 4, 6 -> 5, 5 -> 6, 4 -> 7, 3 -> 8, 2 -> 9, 1 -> 10
  const std::vector<std::int64_t> deps = {0, 1, 3, 8, 9};
  RateCurveScratch scratch;
  RateCurve c;
  REQUIRE(rate_curve(score.data(), 12, deps.data(), 5, scratch, c).ok);
  CHECK(c.valid_cells == 10);
  CHECK(c.deposits == 4);
  CHECK(c.deposits_ignored == 1);
  // Curve: (0,0) (0.1,0.25) (0.2,0.25) (0.3,0.5) (0.4,0.75) (0.7,0.75) (0.8,1) (1,1).
  const std::vector<double> x = {0.0, 0.1, 0.2, 0.3, 0.4, 0.7, 0.8, 1.0};
  const std::vector<double> y = {0.0, 0.25, 0.25, 0.5, 0.75, 0.75, 1.0, 1.0};
  REQUIRE(c.area_fraction.size() == x.size());
  for (std::size_t j = 0; j < x.size(); ++j) {
    CHECK(c.area_fraction[j] == Approx(x[j]).margin(1e-15));
    CHECK(c.deposit_fraction[j] == Approx(y[j]).margin(1e-15));
  }
  // Trapezoids: 0.0125 + 0.025 + 0.0375 + 0.0625 + 0.225 + 0.0875 + 0.2 = 0.65
  // (= mean over deposits of (cells below + 1/2) / 10 = (9.5 + 7.5 + 6.5 + 2.5) / 40).
  CHECK(c.auc == Approx(0.65).epsilon(1e-14));
  CHECK(c.auc == Approx(brute_auc(score, deps)).epsilon(1e-14));

  // Top 10% of the area (1 cell) holds 1 of 4 deposits, top 40% holds 3, top 50% still 3, top 80% all 4;
  // at 25% the cut falls in the middle of the rank-3 cell, which holds a deposit: 0.25 + 0.5 * 0.25.
  const double a[7] = {0.0, 0.1, 0.25, 0.4, 0.5, 0.8, 1.0};
  const double expect[7] = {0.0, 0.25, 0.375, 0.75, 0.75, 1.0, 1.0};
  double got[7];
  REQUIRE(capture_efficiency(c, a, 7, got).ok);
  for (int j = 0; j < 7; ++j)
    CHECK(got[j] == Approx(expect[j]).margin(1e-15));
  const double bad[1] = {1.5};
  CHECK_FALSE(capture_efficiency(c, bad, 1, got).ok);
}

TEST_CASE("rate curve: perfect, reversed and random scores", "[validation]") {
  const std::int64_t n = 1000, m = 20;
  std::vector<float> score(n);
  for (std::int64_t i = 0; i < n; ++i)
    score[i] = static_cast<float>(n - i); // cell 0 has the highest score
  std::vector<std::int64_t> top, bottom;
  for (std::int64_t d = 0; d < m; ++d) {
    top.push_back(d);
    bottom.push_back(n - 1 - d);
  }
  RateCurveScratch scratch;
  RateCurve c;
  // Deposits in the top m cells: the curve reaches 1 at m/n, AUC = 1 - m / (2n) = 0.99.
  REQUIRE(rate_curve(score.data(), n, top.data(), m, scratch, c).ok);
  CHECK(c.auc == Approx(1.0 - 0.5 * m / n).epsilon(1e-12));
  CHECK(c.auc > 0.98);
  // Reversed: AUC = m / (2n) = 0.01.
  REQUIRE(rate_curve(score.data(), n, bottom.data(), m, scratch, c).ok);
  CHECK(c.auc == Approx(0.5 * m / n).epsilon(1e-12));
  CHECK(c.auc < 0.02);

  // Random scores and deposits: AUC near 0.5 (its standard deviation is about sqrt(1/(12 m)) = 0.013 for
  // m = 500).
  std::mt19937_64 gen(1234);
  const std::int64_t big = 20000;
  std::vector<float> rnd(big);
  for (auto& v : rnd)
    v = static_cast<float>(gen() >> 40);
  std::vector<std::int64_t> deps;
  for (int d = 0; d < 500; ++d)
    deps.push_back(static_cast<std::int64_t>(gen() % static_cast<std::uint64_t>(big)));
  REQUIRE(rate_curve(rnd.data(), big, deps.data(), 500, scratch, c).ok);
  CHECK(c.auc == Approx(0.5).margin(0.05));
  CHECK(c.auc == Approx(brute_auc(rnd, deps)).epsilon(1e-12));
}

TEST_CASE("rate curve: ties are one group and the result is thread independent", "[validation]") {
  // A constant score: one tie group, the diagonal, AUC 0.5.
  std::vector<float> flat(50, 3.0f);
  const std::vector<std::int64_t> d1 = {0, 7, 49};
  RateCurveScratch scratch;
  RateCurve c;
  REQUIRE(rate_curve(flat.data(), 50, d1.data(), 3, scratch, c).ok);
  REQUIRE(c.area_fraction.size() == 2);
  CHECK(c.area_fraction[1] == 1.0);
  CHECK(c.deposit_fraction[1] == 1.0);
  CHECK(c.auc == 0.5);

  // Heavily tied scores (5 levels), repeated deposit cells and NaN: AUC equals the brute-force
  // Mann-Whitney value with ties counted as half, for 1 and 3 threads.
  std::mt19937_64 gen(99);
  std::vector<float> s(3000);
  for (auto& v : s)
    v = (gen() % 17 == 0) ? kNaN : static_cast<float>(gen() % 5);
  std::vector<std::int64_t> deps;
  for (int d = 0; d < 60; ++d)
    deps.push_back(static_cast<std::int64_t>(gen() % 3000));
  deps.push_back(deps[0]);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  RateCurve c1, c3;
  REQUIRE(rate_curve(s.data(), 3000, deps.data(), 61, scratch, c1).ok);
  omp_set_num_threads(3);
  REQUIRE(rate_curve(s.data(), 3000, deps.data(), 61, scratch, c3).ok);
  omp_set_num_threads(saved);
  CHECK(c1.auc == Approx(brute_auc(s, deps)).epsilon(1e-12));
  CHECK(c1.auc == c3.auc);
  CHECK(c1.area_fraction == c3.area_fraction);
  CHECK(c1.deposit_fraction == c3.deposit_fraction);
  CHECK(c1.area_fraction.size() <= 2 * 5 + 2);
  for (std::size_t j = 1; j < c1.area_fraction.size(); ++j) {
    CHECK(c1.area_fraction[j] >= c1.area_fraction[j - 1]);
    CHECK(c1.deposit_fraction[j] >= c1.deposit_fraction[j - 1]);
  }

  const std::int64_t outside[1] = {3000};
  CHECK_FALSE(rate_curve(s.data(), 3000, outside, 1, scratch, c).ok);
  const std::vector<float> all_nan(4, kNaN);
  const std::int64_t zero[1] = {0};
  CHECK_FALSE(rate_curve(all_nan.data(), 4, zero, 1, scratch, c).ok);
}
