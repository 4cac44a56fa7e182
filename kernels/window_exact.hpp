#pragma once
/// \file window_exact.hpp
/// Kernel family `window.local_z_exact`: moving-window mean, standard deviation and z-score whose result does
/// not depend on where the grid is cut into tiles.
///
/// Values are mapped to fixed point, q = round((x - shift) * scale), with a shift and scale that are the same
/// for every tile (from global statistics), and summed in exact integer summed-area tables (int64 for counts
/// and sums, __int128 for sums of squares). Integer sums are associative, so a window's sums are identical
/// whatever the table origin, tile size or thread count: the tiled result is bit-identical to the untiled
/// one. Choose scale so that |x - shift| * scale <= 2^24 for every value (see fixed_point_scale): the
/// quantisation is then below float32's own precision relative to the layer's range, and fields on a large
/// offset (58,000 nT) keep full precision on their variations. Cost per cell is independent of the radius.

#include "kernels/views.hpp"

#include <vector>

namespace prospector::kernels {

/// Parameters of `window.local_z_exact`.
struct ExactWindowParams {
  std::int64_t radius = 10;   ///< half-width of the square window in cells (>= 1)
  std::int64_t min_count = 3; ///< fewer valid cells in the window gives NaN
  double min_std = 1e-12;     ///< a window with standard deviation below this gives z = 0
  double shift = 0.0;         ///< subtracted before quantising (e.g. the global median)
  double scale = 1.0;         ///< quantisation factor (power of two from fixed_point_scale)
};

/// Reusable integer tables.
struct ExactWindowScratch {
  std::vector<std::int64_t> count;
  std::vector<std::int64_t> sum;
  std::vector<__int128> sumsq;
};

/// Power-of-two scale such that max_abs_deviation * scale <= 2^24 (1 when max_abs_deviation is 0).
double fixed_point_scale(double max_abs_deviation);

/// Computes the window statistics of every cell of `in` (which may carry a halo) into `out` (same shape);
/// any output pointer may be null. NaN input gives NaN output. Invalid when a value exceeds the
/// fixed-point range (|x - shift| * scale > 2^30).
Status exact_window_stats(ConstGridView in, const ExactWindowParams& params, ExactWindowScratch& scratch,
                          float* mean, float* std, float* z);

} // namespace prospector::kernels
