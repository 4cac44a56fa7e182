#pragma once
/// \file substitute_censored.hpp
/// Kernel `geochem.substitute_censored`: replacement of censored (below detection limit) assay values by
/// DL / 2, DL sqrt(2) / 2 or robust regression on order statistics.
///
/// References: Helsel (2005) Nondetects and Data Analysis, Wiley (regression on order statistics); Hirsch &
/// Stedinger (1987) plotting positions; Hornung & Reed (1990).

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// How censored (below detection limit) values are replaced.
enum class CensoredMethod {
  HalfDl,       ///< DL / 2
  DlSqrt2Over2, ///< DL * sqrt(2) / 2 (= DL / sqrt(2)), Hornung & Reed (1990), for data not highly skewed
  Ros,          ///< robust regression on order statistics of the log values (Helsel 2005), see below
};

/// Parameters of `geochem.substitute_censored`.
struct CensoredParams {
  CensoredMethod method = CensoredMethod::HalfDl;
  /// Ros only: fewer detected values than this (and never fewer than 2) fall back to DL / 2.
  std::int64_t min_detected = 3;
};

/// Reusable buffers for ROS; sized on first use.
struct CensoredScratch {
  std::vector<double> dl;           ///< distinct detection limits, then exceedance probabilities
  std::vector<std::int64_t> counts; ///< A_j, B_j, C_j per limit
  std::vector<std::int64_t> order;  ///< value indices sorted for ranking
  std::vector<double> z;            ///< normal quantiles of the plotting positions
};

/// What substitute_censored did.
struct CensoredReport {
  std::int64_t detected = 0;  ///< valid uncensored values (finite, > 0), copied unchanged
  std::int64_t censored = 0;  ///< censored values with a valid detection limit, substituted
  std::int64_t invalid = 0;   ///< NaN, infinite or non-positive values or limits: NaN out
  bool ros_used = false;      ///< Ros requested and the regression was fitted
  bool ros_fallback = false;  ///< Ros requested but too few detected values: DL / 2 used instead
  double ros_intercept = 0.0; ///< ln-scale regression ln(x) = intercept + slope * z (when ros_used)
  double ros_slope = 0.0;
};

/// Replaces censored values of one variable (contiguous array of n values, e.g. one element's assays or
/// one grid). `censored[i] != 0` flags value i as below detection; its `values[i]` is then the detection
/// limit DL (limits may differ between values). Uncensored values that are finite and > 0 are copied
/// unchanged; any other uncensored value, and a censored value whose DL is not finite and > 0, gives NaN.
///
/// - HalfDl: out = float(DL * 0.5) (computed in double).
/// - DlSqrt2Over2: out = float(DL * (sqrt(2) / 2)) (computed in double).
/// - Ros: robust ROS for one or several detection limits (Helsel 2005, ch. 6; Hirsch & Stedinger 1987
///   plotting positions). With the distinct limits DL_1 < ... < DL_m (DL_0 = 0, DL_{m+1} = +inf), A_j the
///   number of detected values in [DL_j, DL_{j+1}), B_j the number of values known to be below DL_j
///   (detected values < DL_j and censored values with limit <= DL_j) and C_j the number censored at DL_j,
///   the exceedance probabilities are pe_{m+1} = 0, pe_j = pe_{j+1} + A_j / (A_j + B_j) * (1 - pe_{j+1})
///   (the ratio taken as 0 when A_j + B_j = 0). Detected values in [DL_j, DL_{j+1}), sorted ascending with
///   rank r = 1..A_j, get plotting position p = (1 - pe_j) + (pe_j - pe_{j+1}) r / (A_j + 1); values censored
///   at DL_j, ranked r = 1..C_j in array order, get p = (1 - pe_j) r / (C_j + 1). Ordinary least squares of
///   ln(detected value) on the standard normal quantile z = Phi^-1(p) gives intercept a and slope b; each
///   censored value becomes float(min(DL, exp(a + b z))). Ties among detected values keep array order.
///   With fewer than `min_detected` detected values (at least 2 are always required) DL / 2 is used and
///   `ros_fallback` is set. Phi^-1 is computed by safeguarded Newton iteration on erfc to ~1e-15.
///
/// out may alias values. Sequential, O(n) for HalfDl / DlSqrt2Over2 and O(n log n) for Ros.
Status substitute_censored(const float* values, const std::uint8_t* censored, std::int64_t n,
                           const CensoredParams& params, CensoredScratch& scratch, float* out,
                           CensoredReport& report);

} // namespace prospector::kernels
