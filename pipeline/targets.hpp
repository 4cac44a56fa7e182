#pragma once
/// \file targets.hpp
/// Ranked exploration targets: connected high-prospectivity areas and their statistics.

#include "pipeline/grid.hpp"

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
  std::int64_t min_cells = 1;  ///< drop components smaller than this
  std::int64_t max_targets = 50;
};

/// Thresholds `score` at its top `opts.top_fraction` of valid cells, labels 8-connected components, computes
/// statistics and outlines and ranks them (by peak score, then mean score, then area; deterministic).
/// `cell_target` receives, per cell, the index of its target in the returned list, or -1.
CommodityTargets extract_targets(const std::string& commodity, const GridSpec& grid, const float* score,
                                 const TargetOptions& opts, std::vector<std::int32_t>& cell_target);

/// Accumulates how much each evidence layer contributes to each target, one evidence grid at a time.
class EvidenceTally {
public:
  explicit EvidenceTally(const CommodityTargets& targets) : n_targets_(targets.targets.size()) {}
  /// Adds evidence `id` with per-cell weighted membership `weighted` (NaN where absent).
  void add(const std::string& id, const float* weighted, const std::vector<std::int32_t>& cell_target);
  /// Writes "id:share,..." (largest first, shares of the summed contribution, top 3) into each target.
  void finish(CommodityTargets& targets) const;

private:
  std::size_t n_targets_;
  std::vector<std::string> ids_;
  std::vector<std::vector<double>> sums_; ///< [evidence][target]
};

} // namespace prospector
