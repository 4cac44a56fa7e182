#pragma once
/// \file rate_curve.hpp
/// Kernel `validation.rate_curve`: success-rate / prediction-rate curves of a prospectivity score against
/// known deposits, and capture efficiency.
///
/// A success-rate curve uses the deposits the model was trained on, a prediction-rate curve held-out ones
/// (e.g. one fold of blocked_folds); the computation is the same.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// A rate curve: fraction of deposits captured against fraction of valid area, cells ranked by descending
/// score. Points run from (0, 0) to (1, 1), both coordinates non-decreasing; the curve is piecewise linear
/// between them.
///
/// Ties: all cells with one score value form one group that enters the ranking together, and the curve
/// crosses a group on a straight line (from "cells with a higher score" to "cells with this score or
/// higher"). This is the expected curve over all orderings within ties, so it does not depend on cell
/// order; a constant score gives the diagonal and AUC 0.5.
struct RateCurve {
  std::vector<double> area_fraction;    ///< x: share of valid cells with a score >= the group's score
  std::vector<double> deposit_fraction; ///< y: share of the deposits in those cells
  double auc = 0.0;                     ///< area under the curve by the trapezoid rule (exact for this curve)
  std::int64_t valid_cells = 0;         ///< cells with a non-NaN score (the area, unit cells)
  std::int64_t deposits = 0;            ///< deposits on valid cells (counted per index: repeats count)
  std::int64_t deposits_ignored = 0;    ///< deposits on NaN-score cells, left out of the curve
};

/// Scratch of rate_curve (reused between calls; grows with the deposit count and thread count).
struct RateCurveScratch {
  std::vector<float> scores;
  std::vector<std::int64_t> hist;
};

/// Rate curve of `score` (n cells, NaN = outside the valid area) for the deposits at the given cell
/// indices. Only the deposit scores are sorted; one OpenMP pass bins every valid cell against them (exact
/// integer counts, so the result does not depend on the thread count): O(n log m + m log m) for m deposits.
/// The curve has at most 2m + 2 points. Returns Invalid for an index outside [0, n) or when no deposit lies
/// on a valid cell.
Status rate_curve(const float* score, std::int64_t n, const std::int64_t* deposit_cells,
                  std::int64_t n_deposits, RateCurveScratch& scratch, RateCurve& out);

/// Capture efficiency: for each area fraction a in [0, 1], the share of deposits inside the top a of the
/// valid area, read off the curve by linear interpolation (a tie group straddling the cut counts in
/// proportion to the part of it inside). Returns Invalid for a fraction outside [0, 1] or an empty curve.
Status capture_efficiency(const RateCurve& curve, const double* area_fractions, std::int64_t n_fractions,
                          double* captured);

} // namespace prospector::kernels
