#pragma once
/// \file distance.hpp
/// Kernel family `distance`: exact Euclidean distance transform of a feature mask, per-cell line lengths and
/// point counts, and circular-window densities, for structure and feature evidence (faults, contacts,
/// intrusion centres).

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `distance.edt`.
struct EdtParams {
  double cell = 1.0; ///< cell size in map units (> 0): distances are cell * (distance in cells)
};

/// Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012): out[i] = cell * the distance from
/// the centre of cell i to the centre of the nearest cell with feature[i] != 0 (0 on feature cells), on a
/// (ny, nx) row-major mask. Squared distances are exact 64-bit integers, so the result is the brute-force
/// minimum bit for bit, for any thread count. A mask without any feature gives NaN everywhere. O(cells),
/// OpenMP-parallel over columns then rows; per-thread buffers are allocated before the parallel regions.
Status euclidean_distance(const std::uint8_t* feature, std::int64_t nx, std::int64_t ny,
                          const EdtParams& params, float* out);

/// Parameters of `distance.segment_lengths`: the grid the segments are measured on (map coordinates).
struct SegmentGrid {
  double x0 = 0.0;   ///< west edge
  double y0 = 0.0;   ///< north edge
  double cell = 1.0; ///< cell size (> 0)
  std::int64_t nx = 0, ny = 0;
};

/// Adds, for each of `n` segments (x0[k], y0[k]) - (x1[k], y1[k]) in map coordinates, the length of its part
/// inside each cell to `length` (ny * nx doubles, row 0 north; parts outside the grid are dropped). Each
/// segment is cut at every cell edge it crosses, so the cells' lengths sum to the length of the segment
/// inside the grid. Sequential in segment order (deterministic). O(n + cells crossed).
Status segment_lengths(const double* x0, const double* y0, const double* x1, const double* y1, std::int64_t n,
                       const SegmentGrid& grid, double* length);

/// Adds 1 to `count` (ny * nx doubles) for each of `n` points (x[k], y[k]) inside the grid (a point on an
/// inner edge counts for the cell east of / south of it). O(n).
Status point_counts(const double* x, const double* y, std::int64_t n, const SegmentGrid& grid, double* count);

/// Parameters of `distance.segment_intersections`.
struct IntersectionParams {
  double tolerance = 0.0; ///< map units: a line ending this close to another still meets it (>= 0)
  double bucket = 1.0;    ///< edge of the square buckets segments are sorted into (> 0; about a few cells)
};

/// Points where segments of different owners meet: two lines crossing, or one ending on the other (a
/// T-junction) within `tolerance`. Segments k = 0..n-1 run (x0[k], y0[k]) - (x1[k], y1[k]); owner[k] names
/// the line (feature) a segment belongs to, and segments of one owner are never paired (a polyline's
/// consecutive segments share vertices). Non-parallel segments meet where their lines cross, if that point
/// lies on both within `tolerance` (the point is clamped onto the segments); parallel or overlapping ones at
/// the endpoints of one lying within `tolerance` of the other. Candidate pairs come from square buckets of
/// `bucket` map units, and a pair is reported only from the bucket holding its point, so once. The points
/// (x, y) are sorted (x, then y) with exact duplicates removed: deterministic. Sequential, O(n + segment
/// bucket cells + candidate pairs).
Status segment_intersections(const double* x0, const double* y0, const double* x1, const double* y1,
                             const std::int64_t* owner, std::int64_t n, const IntersectionParams& params,
                             std::vector<double>& x, std::vector<double>& y);

/// Parameters of `distance.circular_density`.
struct DensityParams {
  double cell = 1.0;   ///< cell size in map units (> 0)
  double radius = 1.0; ///< search radius in map units (>= cell / 2)
};

/// Density within a circle: out[i] = (sum of value[j] over the cells j whose centre lies within `radius` of
/// cell i's centre) / (pi radius^2), e.g. line length per unit area, or points per unit area. Sums run in
/// double in a fixed order (row then column of the offset), so results are bit-identical for any thread
/// count. Cells near the edge sum what lies on the grid: callers pad the grid by the radius. O(cells *
/// radius^2 / cell^2), OpenMP-parallel over rows.
Status circular_density(const double* value, std::int64_t nx, std::int64_t ny, const DensityParams& params,
                        float* out);

} // namespace prospector::kernels
