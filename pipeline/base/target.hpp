#pragma once
/// \file target.hpp
/// Ranked exploration targets: connected high-prospectivity areas, their statistics and outlines, as the
/// targets stage records them and the writers publish them.

#include <nlohmann/json.hpp>

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
  int rank = 0;            ///< 1 = best
  double peak_score = 0.0; ///< maximum prospectivity in the target
  double mean_score = 0.0; ///< mean prospectivity over its cells
  std::int64_t cells = 0;
  double area = 0.0;                         ///< square map units (m^2)
  double centroid_x = 0.0, centroid_y = 0.0; ///< mean of cell centres (map units)
  double peak_x = 0.0, peak_y = 0.0;         ///< centre of the peak cell
  /// A point inside the outline (the centre of the target's cell nearest the centroid), for labels and
  /// point-in-polygon joins; the centroid can fall outside a U-shaped or ring-shaped target.
  double rep_x = 0.0, rep_y = 0.0;
  double xmin = 0.0, ymin = 0.0, xmax = 0.0, ymax = 0.0; ///< bounding box of the cells (outer edges)
  std::string evidence; ///< top contributing evidence layers, "id:share" comma separated, largest first
  /// Outline(s) of its cells, valid OGC polygons: one per edge-connected group of cells (cells touching only
  /// at a corner are separate polygons meeting at a point); ring 0 anticlockwise on the map, holes clockwise.
  std::vector<Polygon> polygons;
};

/// Targets of one commodity, rank-ordered.
struct CommodityTargets {
  std::string commodity;  ///< "cu", "li", "ni", "co", "sn"
  double threshold = 0.0; ///< score threshold used
  double top_fraction = 0.0;
  std::vector<Target> targets;
};

/// JSON round trip of a commodity's targets (work-folder persistence).
nlohmann::json to_json(const CommodityTargets& t);
CommodityTargets targets_from_json(const nlohmann::json& j);

} // namespace prospector
