#pragma once
/// \file targets.hpp
/// Ranked exploration targets: connected high-prospectivity areas and their statistics.

#include "kernels/order_stats.hpp"
#include "pipeline/grid.hpp"
#include "pipeline/tiles.hpp"

#include <nlohmann/json.hpp>

#include <functional>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// A linear ring of map coordinates; closed (last point equals first).
using Ring = std::vector<std::array<double, 2>>;
/// A polygon: ring 0 is the exterior, the others are holes.
using Polygon = std::vector<Ring>;

/// One ranked target.
struct Target {
  int rank = 0;              ///< 1 = best
  double peak_score = 0.0;   ///< maximum prospectivity in the target
  double mean_score = 0.0;   ///< mean prospectivity over its cells
  std::int64_t cells = 0;
  double area = 0.0;         ///< square map units (m^2)
  double centroid_x = 0.0, centroid_y = 0.0; ///< mean of cell centres (map units)
  double peak_x = 0.0, peak_y = 0.0;         ///< centre of the peak cell
  double xmin = 0.0, ymin = 0.0, xmax = 0.0, ymax = 0.0; ///< bounding box of the cells (outer edges)
  std::string evidence;      ///< top contributing evidence layers, "id:share" comma separated, largest first
  std::vector<Polygon> polygons; ///< outline(s) of its cells; usually one polygon
};

/// Targets of one commodity, rank-ordered.
struct CommodityTargets {
  std::string commodity;  ///< "cu", "li", "ni", "co", "sn"
  double threshold = 0.0; ///< score threshold used
  double top_fraction = 0.0;
  std::vector<Target> targets;
};

/// Options of the targets stage.
struct TargetOptions {
  double top_fraction = 0.02;  ///< keep the top fraction of valid cells
  std::string threshold = "top_fraction"; ///< top_fraction or concentration_area
  std::int64_t min_cells = 1;  ///< drop components smaller than this
  std::int64_t max_targets = 50;
};

/// Where the tiled target extraction reads its inputs.
struct TiledTargetSources {
  std::function<std::string(std::int64_t)> score_tile; ///< path of the score tile file
  struct EvidenceSource {
    std::string id;
    std::function<std::string(std::int64_t)> tile; ///< path of its weighted-membership tile file
  };
  std::vector<EvidenceSource> evidence;
  std::string label_dir; ///< folder for per-tile label files (work data)
};

/// Extracts ranked targets tile by tile: cells with score >= threshold are labelled per tile (8-connected),
/// components that touch across tile edges and corners are joined with union-find, and statistics are
/// accumulated in exact integer (fixed-point) sums, so targets, their cells, areas, scores and ranks are
/// identical whatever the tiling. Ranking: peak score, then mean score, then cell count, then the raster
/// position of the first cell. Outlines come from GDAL's polygonizer over each target's bounding window.
/// Memory: one tile plus per-component statistics.
CommodityTargets extract_targets_tiled(const std::string& commodity, const TileGrid& tiles, double threshold,
                                       const TargetOptions& opts, const TiledTargetSources& src);

/// A concentration-area threshold of a tiled score grid from its per-tile sorted runs (kernel
/// anomaly.ca_fractal's fit): A(>= v) counted exactly on 100 thresholds evenly spaced in log between the
/// median (or the smallest positive value, if larger) and the largest value, then a three-segment weighted
/// fit; the threshold is the first value of the highest segment. `fraction` is the share of valid cells at
/// or above it. Returns false (and says why in `detail`) when there is no such break.
bool concentration_area_threshold(const kernels::SortedRun* runs, std::int64_t n_runs, double& threshold,
                                  double& fraction, std::string& detail);

/// JSON round trip of a commodity's targets (work-folder persistence).
nlohmann::json to_json(const CommodityTargets& t);
CommodityTargets targets_from_json(const nlohmann::json& j);

} // namespace prospector
