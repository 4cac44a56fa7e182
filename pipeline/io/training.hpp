#pragma once
/// \file training.hpp
/// Known deposits (training and test points) from a CSV or any OGR vector, located on the analysis grid.
/// Bad geometry, unknown CRS, points outside the grid are errors or counted and listed, never dropped
/// silently.

#include "pipeline/base/grid.hpp"
#include "pipeline/job/job.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace prospector {

/// One deposit on the grid.
struct DepositPoint {
  std::vector<std::string> commodities; ///< known commodity codes it names (at least one), no repeats
  std::string where;                    ///< "file:feature N" for messages
  double x = 0, y = 0;                  ///< grid CRS
  std::int64_t row = 0, col = 0;
  /// Whether the deposit counts for commodity code `c` (e.g. "cu").
  bool names(const std::string& c) const;
};

/// Deposits read from a file, with what was left out and why.
struct DepositSet {
  std::vector<DepositPoint> points;  ///< on the grid, commodity known
  std::vector<std::string> rejected; ///< one line per left-out feature: where and why
  std::int64_t features = 0;         ///< features read (after the where filter)
  std::int64_t bad_geometry = 0, outside = 0, unknown_commodity = 0, filtered = 0;
  /// Per known commodity code, the points on the grid that name it (a point naming two counts for both).
  std::map<std::string, std::int64_t> per_commodity;
};

/// The known commodities (known_commodities(): cu, li, ni, co, sn) named by the commodity field of a
/// deposit record, in the order of known_commodities() and without repeats. The field is a list separated
/// by ',', ';', '/', '-' or '+'; each item, trimmed of whitespace and compared in any case, is an element
/// symbol (Cu) or name (copper, lithium, nickel, cobalt, tin). Items naming other commodities (Au, Zn,
/// gold, ...) are ignored. So "Cu, Au" -> {cu}, "Au-Cu-Co" -> {cu, co}, "Copper/Gold" -> {cu},
/// "Au" -> {} (no known commodity: the record is counted as unknown).
std::vector<std::string> parse_commodities(const std::string& text);

/// Reads deposits from `path` with the training spec's columns/CRS. Errors: InputData naming the file for
/// a missing/unreadable file, a missing column, or an unknown CRS.
DepositSet read_deposits(const TrainingSpec& spec, const std::string& path, const GridSpec& grid);

} // namespace prospector
