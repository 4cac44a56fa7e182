#pragma once
/// \file moving_window.hpp
/// Kernel family `window.local_z`: moving-window mean, standard deviation and z-score in constant time per cell.
///
/// Method: summed-area tables (integral images) of count, sum and sum of squares of (value - shift) in double
/// precision, where `shift` is a representative value of the grid (its first valid value, or the caller's
/// choice). Shifting keeps the sums small for fields that sit on a large offset (a magnetic field near
/// 58,000 nT), so the variance does not suffer catastrophic cancellation. Each cell then costs four table
/// lookups per table whatever the window radius. The window is the square of side 2r+1 centred on the cell,
/// clipped at the grid edges; only valid (non-NaN) cells are counted.

#include "kernels/views.hpp"

#include <vector>

namespace prospector::kernels {

/// Parameters of `window.local_z`.
struct LocalZParams {
  std::int64_t radius = 10;      ///< half-width of the square window in cells (>= 1)
  std::int64_t min_count = 3;    ///< fewer valid cells in the window gives NaN
  double min_std = 1e-12;        ///< a window with standard deviation below this gives z = 0
};

/// Reusable buffers for the summed-area tables; sized on first use and reused across calls.
struct WindowScratch {
  std::vector<double> sum;
  std::vector<double> sumsq;
  std::vector<std::int64_t> count;
};

/// Outputs of the moving-window statistics; any pointer may be null to skip that output.
struct WindowOutputs {
  float* mean = nullptr;  ///< window mean (ny*nx)
  float* std = nullptr;   ///< window population standard deviation (ny*nx)
  float* z = nullptr;     ///< (in - mean) / std (ny*nx)
};

/// Computes moving-window mean, standard deviation and z-score for every cell. NaN input cells give NaN
/// outputs. Cost is O(nx*ny) independent of the radius. Bit-identical for any thread count.
Status moving_window_stats(ConstGridView in, const LocalZParams& params, WindowScratch& scratch,
                           WindowOutputs out);

} // namespace prospector::kernels
