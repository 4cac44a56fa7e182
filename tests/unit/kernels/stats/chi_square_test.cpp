#include "kernels/stats/chi_square.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace prospector::kernels;

TEST_CASE("robust covariance: chi-square CDF and quantiles against scipy", "[robust_covariance]") {
  // scipy 1.10: chi2.ppf(q, k) and chi2.cdf(x, k).
  CHECK(chi_square_quantile(0.975, 1) == Approx(5.023886187314888).epsilon(1e-12));
  CHECK(chi_square_quantile(0.975, 3) == Approx(9.348403604496148).epsilon(1e-12));
  CHECK(chi_square_quantile(0.5, 2) == Approx(1.386294361119891).epsilon(1e-12)); // = 2 ln 2
  CHECK(chi_square_quantile(0.975, 10) == Approx(20.483177350807388).epsilon(1e-12));
  CHECK(chi_square_quantile(1e-6, 4) == Approx(0.0028297613229586872).epsilon(1e-10));
  CHECK(chi_square_quantile(0.999999, 7) == Approx(40.52183123411472).epsilon(1e-9));
  CHECK(chi_square_cdf(0.5, 3) == Approx(0.08110858834532418).epsilon(1e-13));
  CHECK(chi_square_cdf(9.348403604496147, 5) == Approx(0.9040512190049235).epsilon(1e-13));
  CHECK(chi_square_cdf(30.0, 4) == Approx(0.999995105562872).epsilon(1e-13));
  CHECK(chi_square_cdf(1e-3, 2) == Approx(0.0004998750208307296).epsilon(1e-12));
  CHECK(chi_square_cdf(100.0, 50) == Approx(0.9999654506861702).epsilon(1e-13));
  CHECK(chi_square_cdf(0.2, 0.5) == Approx(0.608338845728966).epsilon(1e-12));
  CHECK(chi_square_cdf(-1.0, 3) == 0.0);
  CHECK(chi_square_quantile(0.0, 3) == 0.0);
  CHECK(std::isinf(chi_square_quantile(1.0, 3)));
  CHECK(std::isnan(chi_square_quantile(1.5, 3)));
  CHECK(std::isnan(chi_square_cdf(1.0, 0.0)));
}
