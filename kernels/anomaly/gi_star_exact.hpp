#pragma once
/// \file gi_star_exact.hpp
/// Kernel `anomaly.gi_star_exact`: Getis-Ord Gi* z-scores that do not depend on where the grid is cut into
/// tiles, nor on the thread count. The formula is that of `anomaly.gi_star` (gi_star.hpp); the window sums
/// come from the exact fixed-point engine of `window.local_z_exact` (window/local_z_exact.hpp), and the
/// layer's n, mean and standard deviation are given, from exact integer moments (ExactMoments) that can be
/// added up tile by tile or from sorted runs.

#include "kernels/views.hpp"
#include "kernels/window/local_z_exact.hpp"

#include <cstdint>

namespace prospector::kernels {

/// Global statistics of a layer for exact_window_gi_star: valid cells, mean and population standard
/// deviation.
struct GiStarGlobal {
  std::int64_t n = 0;
  double mean = 0.0;
  double std = 0.0;
};

/// Getis-Ord Gi* z-scores (the formula of anomaly.gi_star: binary weights over the clipped square window, the
/// cell included) with the window sums of the exact engine and the layer's global n, mean and std given,
/// so that a tile computed with a halo of `radius` cells equals the untiled result bit for bit. The window
/// sum of x - mean is S1 / scale + n_w (shift - mean) from the exact integer S1 and count n_w. NaN cells and
/// windows with fewer than `min_count` valid cells give NaN; where Gi* is undefined (std 0, or a window
/// holding all n cells) the cell gets 0. `out` must not overlap the input.
Status exact_window_gi_star(ConstGridView in, const ExactWindowParams& params, const GiStarGlobal& global,
                            ExactWindowScratch& scratch, float* out);

/// Exact global moments of values quantised as in the exact engine (q = round((x - shift) * scale)): integer
/// sums, so adding tiles or sorted runs in any order gives the same result.
struct ExactMoments {
  std::int64_t count = 0;   ///< finite values within the fixed-point range
  std::int64_t outside = 0; ///< finite values outside it (not counted)
  std::int64_t sum = 0;
  __int128 sum_sq = 0;
  /// Adds the finite values of v[0..n).
  void add(const float* v, std::int64_t n, double shift, double scale);
  /// n, mean and population standard deviation (exact sums, then one rounding each).
  GiStarGlobal global(double shift, double scale) const;
};

} // namespace prospector::kernels
