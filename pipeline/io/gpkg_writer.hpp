#pragma once
/// \file gpkg_writer.hpp
/// Writer of OUT/targets.gpkg: per commodity a polygon layer `targets_<c>` (valid OGC multipolygons), a point
/// layer `target_points_<c>` (centroids) and a point layer `target_rep_points_<c>` (a point inside each
/// target's polygons), in the analysis CRS, with rank, scores, area, centroid, representative point
/// (`rep_x`, `rep_y`), bbox and evidence fields.

#include "pipeline/base/grid.hpp"
#include "pipeline/base/target.hpp"

#include <string>
#include <vector>

namespace prospector {

/// Writes all commodities' targets into a new GeoPackage at `path` (overwritten).
void write_targets_gpkg(const std::string& path, const GridSpec& grid,
                        const std::vector<CommodityTargets>& all);

} // namespace prospector
