#pragma once
/// \file merged.hpp
/// Kernel family `stats.merged`: exact order statistics over the union of sorted runs.
///
/// Tiled execution keeps, per tile and layer, the tile's valid values sorted ascending (a "run"). The global
/// median, MAD and score thresholds are then exact: the k-th smallest value of the union is found by a
/// binary search over the totally ordered float bit patterns, counting values <= candidate in every run with
/// a binary search (O(runs * log n) per step, 32 steps). Because order statistics are unique, the result does
/// not depend on how the grid was cut into tiles.

#include "kernels/stats/robust.hpp"
#include "kernels/views.hpp"

#include <cstdint>

namespace prospector::kernels {

/// One ascending, NaN-free run of values.
struct SortedRun {
  const float* data = nullptr;
  std::int64_t n = 0;
};

/// Total number of values in the runs.
std::int64_t total_count(const SortedRun* runs, std::int64_t n_runs);

/// The k-th smallest value (0-based) of the union of the runs. Invalid when k is out of range.
Status kth_smallest(const SortedRun* runs, std::int64_t n_runs, std::int64_t k, float& out);

/// Exact median (mean of the two middle values for even counts, in double) and MAD (median of
/// |x - median| computed in double) of the union of the runs; scale = 1.4826 * MAD.
Status merged_robust_location(const SortedRun* runs, std::int64_t n_runs, RobustLocation& out);

/// Rank used by top-fraction thresholds: k = ceil(top_fraction * count), tolerant of a product that lands
/// a rounding error above an integer, clamped to [1, count]. Same rule as targets.top_fraction_threshold.
std::int64_t top_fraction_rank(double top_fraction, std::int64_t count);

/// Threshold such that the top fraction of the union's values are >= it (the k-th largest value).
Status merged_top_fraction_threshold(const SortedRun* runs, std::int64_t n_runs, double top_fraction,
                                     double& threshold);

} // namespace prospector::kernels
