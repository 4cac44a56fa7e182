#pragma once
/// \file target_extraction.hpp
/// Ranked exploration targets: connected high-prospectivity areas and their statistics.

#include "kernels/stats/radix_select.hpp"
#include "pipeline/base/grid.hpp"
#include "pipeline/base/target.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/job/job.hpp"

#include <nlohmann/json.hpp>

#include <functional>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// Where the tiled target extraction reads its inputs.
struct TiledTargetSources {
  std::function<std::string(std::int64_t)> score_tile; ///< path of the score tile file
  struct EvidenceSource {
    std::string id;
    /// Fills its weighted membership on tile t (the tile's cells, row-major).
    std::function<void(std::int64_t, std::vector<float>&)> read;
  };
  std::vector<EvidenceSource> evidence;
  std::string label_dir; ///< folder for per-tile label files (work data)
};

/// Extracts ranked targets tile by tile: cells with score >= threshold are labelled per tile (8-connected),
/// components that touch across tile edges and corners are joined with union-find, and statistics are
/// accumulated in exact integer (fixed-point) sums, so targets, their cells, areas, scores and ranks are
/// identical whatever the tiling. Ranking: peak score, then mean score, then cell count, then the raster
/// position of the first cell. Outlines are traced over each target's bounding window (kernel
/// targets.outline_cells) as valid OGC polygons; a representative point inside them sits beside the centroid.
/// Memory: one tile plus per-component statistics.
CommodityTargets extract_targets_tiled(const std::string& commodity, const TileGrid& tiles, double threshold,
                                       const TargetOptions& opts, const TiledTargetSources& src);

/// A concentration-area threshold of a tiled score grid from its tiles (kernel
/// anomaly.ca_fractal's fit): A(>= v) counted exactly on 100 thresholds evenly spaced in log between the
/// median (or the smallest positive value, if larger) and the largest value, then a three-segment weighted
/// fit; the threshold is the first value of the highest segment. `fraction` is the share of valid cells at
/// or above it. Returns false (and says why in `detail`) when there is no such break.
bool concentration_area_threshold(const kernels::ValueBlocks& values, double& threshold, double& fraction,
                                  std::string& detail);

} // namespace prospector
