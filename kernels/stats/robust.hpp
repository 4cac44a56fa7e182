#pragma once
/// \file robust.hpp
/// Kernel family `stats.robust`: median, MAD and robust z-score.

#include "kernels/views.hpp"

#include <vector>

namespace prospector::kernels {

/// Median and scaled MAD of the valid (non-NaN) cells of a grid.
struct RobustLocation {
  double median = 0.0;
  double mad = 0.0;       ///< raw median absolute deviation
  double scale = 0.0;     ///< 1.4826 * mad, the normal-consistent scale; 0 when the data are constant
  std::int64_t count = 0; ///< number of valid cells
};

/// Computes median and MAD of the valid cells exactly. The median of an even count is the mean of the two
/// middle values. Parallel radix selection (see the registry record); `scratch` is reused for the cells of
/// a narrowed bin (resized to the valid count at most). Returns Invalid when no cell is valid.
Status robust_location(ConstGridView in, std::vector<float>& scratch, RobustLocation& out);

/// Parameters of `stats.robust_z`.
struct RobustZParams {
  /// The spread is degenerate when scale <= rel_floor * |median| (float32 resolves about 2^-23 of a value,
  /// so a smaller spread is rounding, not signal) ...
  double rel_floor = 0x1p-20;
  /// ... or when scale <= min_scale (a floor for fields centred on 0: the smallest normal float32).
  double min_scale = 1.1754943508222875e-38;
};

/// True when `loc`'s spread is too small, relative to its median, for z-scores to mean anything: a constant
/// layer, a single sample, a binary or mostly-constant map whose MAD is 0.
bool robust_spread_degenerate(const RobustLocation& loc, const RobustZParams& params);

/// out = (in - median) / (1.4826 * MAD) for valid cells, NaN elsewhere. `loc` comes from robust_location.
/// Where the spread is degenerate (robust_spread_degenerate) every cell is NaN: no z-score exists, and a grid
/// of zeros would look like valid, unremarkable evidence. in and out may alias. OpenMP-parallel.
Status robust_z(ConstGridView in, const RobustLocation& loc, const RobustZParams& params, GridView out);

} // namespace prospector::kernels
