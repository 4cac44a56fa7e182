#pragma once
/// \file ca_fractal.hpp
/// Kernel family `anomaly.ca_fractal`: concentration-area (C-A) fractal thresholds (Cheng, Agterberg &
/// Ballantyne 1994, J. Geochem. Explor. 51:109-130).
///
/// For thresholds v_k on a logarithmic grid, A(>= v_k) is the number of valid cells with value >= v_k (an
/// area in cells; multiplying by the cell area only shifts the log-log intercept). Populations with
/// different fractal dimensions appear as straight segments of log10 A against log10 v; the values where
/// the slope changes separate background from anomaly.
///
/// Thresholds: `thresholds` values v_k = exp(ln lo + k (ln hi - ln lo) / (thresholds - 1)), k = 0..T-1,
/// with lo / hi the smallest / largest valid value unless `min_value` / `max_value` (> 0) are given.
/// Only valid values are counted: finite and > 0 (others are reported as skipped). A(>= v_k) comes from a
/// histogram over the threshold intervals (per-block counts, exact integers, so thread-count independent)
/// accumulated from the top; each value is placed by comparing it with the thresholds themselves (v_0 = lo
/// and v_{T-1} = hi exactly), so A(>= v_k) is exactly the count of values >= v_k.
///
/// Fit: the points (x_k, y_k) = (log10 v_k, log10 A_k) with A_k >= `min_area` (a prefix k = 0..K-1, as A
/// never increases) are split into `segments` (1 to 3) consecutive, non-overlapping runs of at least
/// `min_points` points, each with its own least-squares line. Every admissible break position is tried
/// (O(K) for 2 segments, O(K^2) for 3, each run's fit O(1) from prefix sums) and the positions with the
/// smallest total sum of squared residuals (SSE) are kept. With `weighted` (default) point k has weight
/// A_k ln(10)^2, the inverse of the Poisson variance of log10 A_k, so that the sparse, noisy top
/// thresholds (A of a few cells) do not dominate the fit; unweighted fits on random fields are pulled
/// several threshold steps off a planted break by that tail.
///
/// The number of segments is the caller's choice, not estimated: A(>= v) is cumulative, so its residuals
/// are strongly correlated along the curve, and information criteria (BIC, F-tests) that assume
/// independent residuals keep adding segments on fields with a single population. Compare the SSE of
/// fits with 2 and 3 segments, or inspect the curve, to decide.
///
/// A break between runs ending at point i-1 and starting at point i is reported as the threshold v_i (the
/// first threshold of the upper population) together with the value where the two fitted lines intersect.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `anomaly.ca_fractal`.
struct CaFractalParams {
  std::int64_t thresholds = 100; ///< points of the logarithmic threshold grid (>= 4)
  double min_value = 0.0;        ///< lowest threshold; <= 0 means the smallest valid value
  double max_value = 0.0;        ///< highest threshold; <= 0 means the largest valid value
  std::int64_t segments = 2;     ///< straight segments fitted: 1, 2 or 3
  std::int64_t min_points = 4;   ///< points per segment (>= 2)
  double min_area = 1.0;         ///< thresholds with fewer cells above them are left out of the fit
  bool weighted = true;          ///< weight point k by A_k ln(10)^2 (inverse Poisson variance of log10 A)
};

/// Result of a C-A analysis.
struct CaFractalResult {
  std::vector<double> threshold;         ///< v_k (T values)
  std::vector<std::int64_t> area;        ///< A(>= v_k) in cells
  std::int64_t valid = 0;                ///< values counted (finite and > 0)
  std::int64_t skipped = 0;              ///< non-NaN values that are not finite or <= 0
  std::int64_t points = 0;               ///< K, points used in the fit: k = 0..K-1 (A >= min_area)
  std::int64_t segments = 0;             ///< number of segments fitted
  std::vector<double> slopes;            ///< per segment, d log10 A / d log10 v (negative fractal dimension)
  std::vector<double> intercepts;        ///< per segment, log10 A at log10 v = 0
  std::vector<std::int64_t> break_index; ///< per break: threshold index k of the first point of the next run
  std::vector<double> breaks;            ///< per break: threshold value v at break_index
  std::vector<double>
      break_lines;  ///< per break: 10^(x where the two adjacent lines intersect), NaN if parallel
  double sse = 0.0; ///< total (weighted) SSE of the fit
};

/// Reusable histogram buffer (blocks x thresholds counts).
struct CaFractalScratch {
  std::vector<std::int64_t> hist;
};

/// C-A thresholds of the valid values of `in` (any contiguous array: grid cells or samples). Returns
/// Invalid for bad parameters, no valid value, a degenerate value range, or fewer than
/// segments * min_points points with A >= min_area.
Status ca_fractal(const float* in, std::int64_t n, const CaFractalParams& params, CaFractalScratch& scratch,
                  CaFractalResult& result);

/// The threshold grid of ca_fractal: T values from lo to hi (both > 0, hi > lo) evenly spaced in log, with
/// the end points exactly lo and hi.
void ca_threshold_grid(double lo, double hi, std::int64_t T, std::vector<double>& thresholds);

/// The fit of ca_fractal alone, for callers that count the areas themselves (e.g. exactly, from sorted runs
/// of a tiled grid): result.threshold (from ca_threshold_grid) and result.area (A(>= v_k), non-increasing)
/// are inputs; the fit fields are outputs; valid and skipped are left alone.
Status ca_fractal_fit(const CaFractalParams& params, CaFractalResult& result);

} // namespace prospector::kernels
