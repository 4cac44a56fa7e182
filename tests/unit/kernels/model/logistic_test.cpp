#include "kernels/model/logistic.hpp"

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

// mt19937_64 is fully specified by the standard; the conversion to [0, 1) is done here so the sample does
// not depend on the library's distributions.
struct Uniform {
  std::mt19937_64 gen;
  explicit Uniform(std::uint64_t seed) : gen(seed) {}
  double operator()() { return static_cast<double>(gen() >> 11) * 0x1.0p-53; }
};

// Sample from a logistic model with raw coefficients c (intercept first): x1 ~ U(-2, 2), x2 ~ U(90, 110)
// (a feature on a large offset, which the internal standardisation must handle).
struct Sample {
  std::vector<double> x;
  std::vector<std::uint8_t> y;
  Sample(std::int64_t n, const double c[3], std::uint64_t seed) {
    Uniform u(seed);
    for (std::int64_t s = 0; s < n; ++s) {
      const double x1 = -2.0 + 4.0 * u(), x2 = 90.0 + 20.0 * u();
      const double p = 1.0 / (1.0 + std::exp(-(c[0] + c[1] * x1 + c[2] * x2)));
      x.push_back(x1);
      x.push_back(x2);
      y.push_back(u() < p ? 1 : 0);
    }
  }
};

} // namespace

TEST_CASE("logistic: recovers the coefficients of a logistic model", "[logistic]") {
  // eta = 19.5 + 1.5 x1 - 0.2 x2, i.e. -0.5 + 1.5 x1 - 0.2 (x2 - 100).
  const double c[3] = {19.5, 1.5, -0.2};
  const std::int64_t n = 20000;
  Sample s(n, c, 42);
  LogisticParams p;
  p.lambda = 0.0;
  LogisticModel m;
  REQUIRE(logistic_fit(s.x.data(), 2, n, s.y.data(), p, m).ok);
  CHECK(m.converged);
  CHECK(m.iterations < 15);
  CHECK(m.samples == n);
  CHECK(m.skipped == 0);
  // Standard errors at this sample size are about 0.03 (x1), 0.003 (x2) and 0.03 for the centred
  // intercept; the tolerances are about 4 of them.
  CHECK(m.coefficients[1] == Approx(1.5).margin(0.12));
  CHECK(m.coefficients[2] == Approx(-0.2).margin(0.012));
  CHECK(m.coefficients[0] + 100.0 * m.coefficients[2] == Approx(-0.5).margin(0.12));
  CHECK(m.mean[1] == Approx(100.0).margin(0.2));
  CHECK(m.scale[1] == Approx(20.0 / std::sqrt(12.0)).epsilon(0.02));

  // Optimality: the gradient of the mean log-likelihood on the standardised features vanishes.
  double g[3] = {0, 0, 0};
  for (std::int64_t r = 0; r < n; ++r) {
    const double z[3] = {1.0, (s.x[2 * r] - m.mean[0]) / m.scale[0],
                         (s.x[2 * r + 1] - m.mean[1]) / m.scale[1]};
    const double eta = m.coef_std[0] + m.coef_std[1] * z[1] + m.coef_std[2] * z[2];
    const double res = 1.0 / (1.0 + std::exp(-eta)) - s.y[r];
    for (int a = 0; a < 3; ++a)
      g[a] += res * z[a] / static_cast<double>(n);
  }
  for (double v : g)
    CHECK(std::fabs(v) < 1e-9);
}

TEST_CASE("logistic: L2 penalty shrinks the coefficients and satisfies its optimality condition",
          "[logistic]") {
  const double c[3] = {19.5, 1.5, -0.2};
  const std::int64_t n = 5000;
  Sample s(n, c, 7);
  LogisticParams p;
  p.lambda = 0.05;
  LogisticModel m, m0;
  REQUIRE(logistic_fit(s.x.data(), 2, n, s.y.data(), p, m).ok);
  p.lambda = 0.0;
  REQUIRE(logistic_fit(s.x.data(), 2, n, s.y.data(), p, m0).ok);
  CHECK(std::fabs(m.coef_std[1]) < std::fabs(m0.coef_std[1]));
  CHECK(std::fabs(m.coef_std[2]) < std::fabs(m0.coef_std[2]));
  // (1/N) sum (mu - y) z_f + lambda beta_f = 0 for f >= 1; no penalty on the intercept.
  double g[3] = {0, 0, 0};
  for (std::int64_t r = 0; r < n; ++r) {
    const double z[3] = {1.0, (s.x[2 * r] - m.mean[0]) / m.scale[0],
                         (s.x[2 * r + 1] - m.mean[1]) / m.scale[1]};
    const double eta = m.coef_std[0] + m.coef_std[1] * z[1] + m.coef_std[2] * z[2];
    const double res = 1.0 / (1.0 + std::exp(-eta)) - s.y[r];
    for (int a = 0; a < 3; ++a)
      g[a] += res * z[a] / static_cast<double>(n);
  }
  CHECK(std::fabs(g[0]) < 1e-9);
  CHECK(std::fabs(g[1] + 0.05 * m.coef_std[1]) < 1e-9);
  CHECK(std::fabs(g[2] + 0.05 * m.coef_std[2]) < 1e-9);
  // Raw coefficients describe the same model as the standardised ones.
  const double x1 = 0.3, x2 = 97.0;
  const double eta_raw = m.coefficients[0] + m.coefficients[1] * x1 + m.coefficients[2] * x2;
  const double eta_std = m.coef_std[0] + m.coef_std[1] * (x1 - m.mean[0]) / m.scale[0] +
                         m.coef_std[2] * (x2 - m.mean[1]) / m.scale[1];
  CHECK(eta_raw == Approx(eta_std).epsilon(1e-9));
}

TEST_CASE("logistic: separable data stay finite with lambda > 0", "[logistic]") {
  // y = 1 exactly where x > 0: the unpenalised maximum likelihood is at infinity.
  std::vector<double> x;
  std::vector<std::uint8_t> y;
  for (int i = -10; i <= 10; ++i) {
    if (i == 0) continue;
    x.push_back(0.1 * i);
    y.push_back(i > 0 ? 1 : 0);
  }
  LogisticParams p;
  p.lambda = 1e-2;
  LogisticModel m;
  REQUIRE(logistic_fit(x.data(), 1, static_cast<std::int64_t>(y.size()), y.data(), p, m).ok);
  CHECK(m.converged);
  for (double c : m.coefficients)
    CHECK(std::isfinite(c));
  CHECK(m.coefficients[1] > 0.0);
  // Symmetric data: the intercept is 0 up to rounding.
  CHECK(m.coefficients[0] == Approx(0.0).margin(1e-9));
  // Penalised optimum: lambda beta = -(1/N) sum (mu - y) z, checked on the fitted model.
  double g = 0.0;
  for (std::size_t r = 0; r < y.size(); ++r) {
    const double z = (x[r] - m.mean[0]) / m.scale[0];
    g += (1.0 / (1.0 + std::exp(-(m.coef_std[0] + m.coef_std[1] * z))) - y[r]) * z;
  }
  CHECK(g / static_cast<double>(y.size()) + 1e-2 * m.coef_std[1] == Approx(0.0).margin(1e-9));
}

TEST_CASE("logistic: prediction over a grid stack, NaN rows and thread independence", "[logistic]") {
  const double c[3] = {19.5, 1.5, -0.2};
  const std::int64_t n = 12000; // three reduction blocks
  Sample s(n, c, 3);
  s.x[10] = std::numeric_limits<double>::quiet_NaN(); // row 5 is skipped
  LogisticParams p;
  LogisticModel m1, m2;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  REQUIRE(logistic_fit(s.x.data(), 2, n, s.y.data(), p, m1).ok);
  omp_set_num_threads(2);
  REQUIRE(logistic_fit(s.x.data(), 2, n, s.y.data(), p, m2).ok);
  omp_set_num_threads(saved);
  CHECK(m1.skipped == 1);
  CHECK(m1.samples == n - 1);
  CHECK(m1.coef_std == m2.coef_std); // bit-identical
  CHECK(m1.iterations == m2.iterations);

  // 2 x 2 grids; cell 3 has a NaN feature.
  const std::vector<float> g1 = {-1.0f, 0.0f, 1.5f, 0.5f};
  const std::vector<float> g2 = {100.0f, 95.0f, 108.0f, kNaN};
  ConstGridView grids[2] = {{g1.data(), 2, 2}, {g2.data(), 2, 2}};
  std::vector<float> out(4, -1.0f);
  REQUIRE(logistic_predict(grids, 2, m1, {out.data(), 2, 2}).ok);
  for (int i = 0; i < 3; ++i) {
    const double eta = m1.coefficients[0] + m1.coefficients[1] * g1[i] + m1.coefficients[2] * g2[i];
    CHECK(out[i] == Approx(1.0 / (1.0 + std::exp(-eta))).epsilon(1e-6));
  }
  CHECK(std::isnan(out[3]));

  // Gathering rows from the grids gives the row-major sample layout.
  const std::int64_t cells[2] = {2, 0};
  double rows[4];
  REQUIRE(logistic_gather(grids, 2, cells, 2, rows).ok);
  CHECK(rows[0] == 1.5);
  CHECK(rows[1] == 108.0);
  CHECK(rows[2] == -1.0);
  CHECK(rows[3] == 100.0);
  const std::int64_t bad_cell[1] = {4};
  CHECK_FALSE(logistic_gather(grids, 2, bad_cell, 1, rows).ok);
  CHECK_FALSE(logistic_predict(grids, 1, m1, {out.data(), 2, 2}).ok);
}

TEST_CASE("logistic: invalid input", "[logistic]") {
  const double x[4] = {0.0, 1.0, 2.0, 3.0};
  const std::uint8_t same[4] = {1, 1, 1, 1};
  const std::uint8_t two[4] = {0, 2, 1, 0};
  const std::uint8_t ok[4] = {0, 1, 0, 1};
  LogisticModel m;
  CHECK_FALSE(logistic_fit(x, 1, 4, same, LogisticParams{}, m).ok);
  CHECK_FALSE(logistic_fit(x, 1, 4, two, LogisticParams{}, m).ok);
  LogisticParams p;
  p.lambda = -1.0;
  CHECK_FALSE(logistic_fit(x, 1, 4, ok, p, m).ok);
  p = LogisticParams{};
  p.max_iterations = 0;
  CHECK_FALSE(logistic_fit(x, 1, 4, ok, p, m).ok);
  const double inf[4] = {0.0, std::numeric_limits<double>::infinity(), 2.0, 3.0};
  CHECK_FALSE(logistic_fit(inf, 1, 4, ok, LogisticParams{}, m).ok);
  // Two identical features without a penalty: the Hessian is singular.
  const double dup[8] = {0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0};
  p = LogisticParams{};
  p.lambda = 0.0;
  CHECK_FALSE(logistic_fit(dup, 2, 4, ok, p, m).ok);
  p.lambda = 0.1;
  CHECK(logistic_fit(dup, 2, 4, ok, p, m).ok);
}
