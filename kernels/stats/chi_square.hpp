#pragma once
/// \file chi_square.hpp
/// The chi-square distribution function and its quantiles, for the consistency factors and cutoffs of
/// robust estimators (anomaly.mcd). Not a registered kernel.

namespace prospector::kernels {

/// Chi-square CDF F_k(x) = P(k/2, x/2), the regularised lower incomplete gamma function, evaluated by its
/// power series for x/2 < k/2 + 1 and by the Legendre continued fraction (modified Lentz) otherwise, to
/// about 1e-14 relative. Returns 0 for x <= 0 and NaN for dof <= 0 or NaN arguments.
double chi_square_cdf(double x, double dof);

/// Chi-square quantile F_k^-1(p) for p in [0, 1): an upper bracket found by doubling from max(1, k), then
/// bisection on chi_square_cdf to a relative bracket width of 1e-15. Returns 0 for p = 0,
/// +inf for p = 1 and NaN outside [0, 1] or for dof <= 0.
double chi_square_quantile(double p, double dof);

} // namespace prospector::kernels
