#include "kernels/stats/chi_square.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

// ln of x^a e^-x / Gamma(a): the common prefactor of the series and the continued fraction.
double gamma_prefactor_log(double a, double x) { return a * std::log(x) - x - std::lgamma(a); }

// Regularised lower incomplete gamma P(a, x) for a > 0, x > 0.
double gamma_p(double a, double x) {
  if (x < a + 1.0) {
    // P = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a + 1) ... (a + k)); all terms positive, converges fast
    // here.
    double term = 1.0 / a, sum = term;
    for (int k = 1; k < 1000; ++k) {
      term *= x / (a + k);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return std::min(1.0, sum * std::exp(gamma_prefactor_log(a, x)));
  }
  // Q = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))),
  // evaluated with the modified Lentz method.
  const double tiny = 1e-300;
  double b = x + 1.0 - a;
  double c = 1.0 / tiny;
  double d = 1.0 / b;
  double f = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    f *= delta;
    if (std::abs(delta - 1.0) < 1e-16) break;
  }
  return std::max(0.0, 1.0 - std::exp(gamma_prefactor_log(a, x)) * f);
}

} // namespace

double chi_square_cdf(double x, double dof) {
  if (std::isnan(x) || std::isnan(dof) || dof <= 0.0) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0.0) return 0.0;
  if (std::isinf(x)) return 1.0;
  return gamma_p(0.5 * dof, 0.5 * x);
}

double chi_square_quantile(double p, double dof) {
  if (std::isnan(p) || std::isnan(dof) || dof <= 0.0 || p < 0.0 || p > 1.0)
    return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.0) return 0.0;
  if (p == 1.0) return std::numeric_limits<double>::infinity();
  double lo = 0.0, hi = std::max(1.0, dof);
  while (chi_square_cdf(hi, dof) < p) {
    lo = hi;
    hi *= 2.0;
  }
  for (int it = 0; it < 2000 && hi - lo > 1e-15 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (chi_square_cdf(mid, dof) < p)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

} // namespace prospector::kernels
