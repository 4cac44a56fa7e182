#pragma once
/// \file outline.hpp
/// Kernel family `targets`: outlines of a set of raster cells as valid OGC polygons, and a point inside them.

#include "kernels/views.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// A closed ring of cell-corner vertices {column, row} (row grows downwards, as in the raster); the last
/// vertex equals the first. Only the vertices where the ring turns are kept.
using CornerRing = std::vector<std::array<std::int64_t, 2>>;

/// One polygon: rings[0] is the exterior, the others are holes.
struct CornerPolygon {
  std::vector<CornerRing> rings;
};

/// Outlines the cells where `mask` (row-major, rows x cols) is non-zero as OGC-valid polygons: one polygon
/// per 4-connected group of cells (cells that touch only at a corner are separate polygons, touching at one
/// point), with holes for the enclosed background. Every ring is simple; where a hole meets the exterior or
/// another hole at a corner the rings touch at that single vertex, as OGC allows. The exterior runs clockwise
/// in raster order (anticlockwise on a map with north up), holes the other way. Polygons come in the raster
/// order of their first cell; each ring starts at the first vertex in raster order of its top-left-most edge.
/// O(cells) time and memory.
Status outline_cells(const std::uint8_t* mask, std::int64_t rows, std::int64_t cols,
                     std::vector<CornerPolygon>& polygons);

/// A cell of the mask whose centre is nearest to the mean of the mask's cell centres (ties: the first in
/// raster order). Its centre lies strictly inside the outline, so it is a representative point of the target
/// even when the centroid falls outside (a U or a ring of cells). Returns Invalid for an empty mask.
Status representative_cell(const std::uint8_t* mask, std::int64_t rows, std::int64_t cols, std::int64_t& row,
                           std::int64_t& col);

} // namespace prospector::kernels
