#pragma once
/// \file gi_star.hpp
/// Kernel family `anomaly.gi_star`: Getis-Ord Gi* hot-spot z-scores on a grid (Getis & Ord 1992; Ord &
/// Getis 1995, Geographical Analysis 27:286-306).
///
/// Weights are binary: w_ij = 1 for the valid cells j in the square window of side 2 r + 1 centred on i
/// (clipped at the grid edges), the cell itself included; 0 otherwise. With n the number of valid (non-NaN)
/// cells of the whole grid, Xbar their mean and S = sqrt(sum_j x_j^2 / n - Xbar^2) their population standard
/// deviation, W_i = sum_j w_ij (the valid cells in the window, which also equals sum_j w_ij^2):
///
///   Gi*_i = (sum_j w_ij x_j - Xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))).
///
/// Method: Xbar and S from per-block partial sums (two passes: mean, then centred squares) combined in
/// block order; summed-area tables of the count and of (x - Xbar) in double (row prefix sums in parallel over
/// rows, then column prefix sums in parallel over column blocks), so each
/// window sum costs four lookups whatever the radius and the numerator sum_j w_ij (x_j - Xbar) does not lose
/// precision on a field with a large offset. Bit-identical for any thread count. O(cells) time. For tiled
/// grids (the pipeline) see anomaly.gi_star_exact in anomaly/gi_star_exact.hpp, which is also tile-invariant.
///
/// Nodata: NaN cells are left out of n, Xbar, S and every window, and get NaN. Where the statistic is
/// undefined (S = 0, a constant field; or W_i = n, a window holding every valid cell) the cell gets 0.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `anomaly.gi_star`.
struct GiStarParams {
  std::int64_t radius = 3; ///< half-width of the square window in cells (>= 1)
};

/// Reusable buffers (summed-area tables, (ny + 1) x (nx + 1)); sized on first use, only grow.
struct GiStarScratch {
  std::vector<double> sum;
  std::vector<std::int64_t> count;
  std::vector<double> partial;
};

/// Global statistics used by gi_star.
struct GiStarInfo {
  std::int64_t n = 0; ///< valid cells
  double mean = 0.0;  ///< Xbar
  double std = 0.0;   ///< S (population)
};

/// out = Gi* z-score per cell (see the file comment). in and out must have the same shape and must not
/// alias. Returns Invalid for bad views, radius < 1 or fewer than 2 valid cells.
Status gi_star(ConstGridView in, const GiStarParams& params, GiStarScratch& scratch, GridView out,
               GiStarInfo& info);

} // namespace prospector::kernels
