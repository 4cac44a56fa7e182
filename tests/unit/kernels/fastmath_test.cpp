#include "kernels/fastmath.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

using namespace prospector::kernels::fastmath;

namespace {
// Distance in float ulps between a and the double reference r.
double ulps(float a, double r) {
  const float rf = static_cast<float>(r);
  const float next = std::nextafter(rf, std::numeric_limits<float>::infinity());
  return std::fabs(static_cast<double>(a) - r) / (static_cast<double>(next) - static_cast<double>(rf));
}
} // namespace

TEST_CASE("fastmath: exp_f, log_f and atan2 within a few ulps, special values as documented", "[fastmath]") {
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> ux(-87.0, 88.0), ul(-30.0, 30.0), ua(-50.0, 50.0);
  double worst_exp = 0, worst_log = 0, worst_atan = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto x = static_cast<float>(ux(gen));
    worst_exp = std::max(worst_exp, ulps(exp_f(x), std::exp(static_cast<double>(x))));
    const auto y = static_cast<float>(std::exp(ul(gen))); // 1e-13 .. 1e13
    worst_log = std::max(worst_log, std::fabs(log_f(y) - std::log(static_cast<double>(y))) /
                                        std::max(1e-30, std::fabs(std::log(static_cast<double>(y)))));
    const auto a = static_cast<float>(ua(gen)), b = static_cast<float>(std::fabs(ua(gen)));
    worst_atan =
        std::max(worst_atan, std::fabs(atan2_nonneg_x(a, b) - std::atan2(static_cast<double>(a), b)));
  }
  INFO("exp ulps " << worst_exp << ", log relative " << worst_log << ", atan2 absolute " << worst_atan);
  CHECK(worst_exp <= 3.0);
  CHECK(worst_log <= 3e-7);
  CHECK(worst_atan <= 3e-7);
  // Near log's zero, absolute error.
  CHECK(std::fabs(log_f(1.0f)) == 0.0f);
  CHECK(log_f(1.0001f) == Approx(std::log(static_cast<double>(1.0001f))).epsilon(3e-7));

  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(exp_f(-100.0f) == 0.0f);
  CHECK(exp_f(100.0f) == inf);
  CHECK(std::isnan(exp_f(nan)));
  CHECK(exp_f(0.0f) == 1.0f);
  CHECK(std::isnan(log_f(0.0f)));
  CHECK(std::isnan(log_f(-1.0f)));
  CHECK(std::isnan(log_f(nan)));
  CHECK(log_f(inf) == inf);
  CHECK(log_f(1e-40f) == Approx(std::log(1e-40)).epsilon(1e-5)); // subnormal
  CHECK(atan2_nonneg_x(0.0f, 0.0f) == 0.0f);
  CHECK(atan2_nonneg_x(1.0f, 0.0f) == Approx(M_PI / 2));
  CHECK(atan2_nonneg_x(-1.0f, 0.0f) == Approx(-M_PI / 2));
}
