#pragma once
/// \file local_z.hpp
/// Kernel family `window.local_z`: moving-window mean, standard deviation and z-score in constant time per
/// cell.
///
/// Method: the exact fixed-point engine of `window.local_z_exact` (window/local_z_exact.hpp), with the shift
/// and scale chosen from this grid: shift = the mid-range of the valid values, scale = fixed_point_scale of
/// half the range, so every value is quantised in steps of at most 2^-23 of the grid's half-range (about
/// float32's own resolution at the largest values of the grid). Fields on a large offset (a magnetic field
/// near 58,000 nT) keep the full precision of their variations, the variance numerator is exact, and the
/// result is bit-identical for any thread count. The window is the square of side 2r+1 centred on the cell,
/// clipped at the grid edges; only valid (non-NaN) cells are counted. Infinite values are an error.

#include "kernels/views.hpp"
#include "kernels/window/local_z_exact.hpp"

#include <vector>

namespace prospector::kernels {

/// Parameters of `window.local_z`.
struct LocalZParams {
  std::int64_t radius = 10;   ///< half-width of the square window in cells (>= 1)
  std::int64_t min_count = 3; ///< fewer valid cells in the window gives NaN
  double min_std = 1e-12;     ///< a window with standard deviation below this gives z = 0
};

/// Reusable buffers (per-thread rows, see ExactWindowScratch); they only grow.
struct WindowScratch {
  ExactWindowScratch exact;
};

/// Outputs of the moving-window statistics; any pointer may be null to skip that output.
struct WindowOutputs {
  float* mean = nullptr; ///< window mean (ny*nx)
  float* std = nullptr;  ///< window population standard deviation (ny*nx)
  float* z = nullptr;    ///< (in - mean) / std (ny*nx)
};

/// Computes moving-window mean, standard deviation and z-score for every cell. NaN input cells give NaN
/// outputs. Cost is O(nx*ny) independent of the radius. Bit-identical for any thread count. Outputs must not
/// overlap the input.
Status moving_window_stats(ConstGridView in, const LocalZParams& params, WindowScratch& scratch,
                           WindowOutputs out);

} // namespace prospector::kernels
