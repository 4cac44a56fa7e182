#pragma once
/// \file training.hpp
/// Known deposits (training and test points) from a CSV or any OGR vector, located on the analysis grid.
/// Bad geometry, unknown CRS, points outside the grid are errors or counted and listed, never dropped
/// silently.

#include "pipeline/base/grid.hpp"
#include "pipeline/job/job.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// One deposit on the grid.
struct DepositPoint {
  std::string commodity;
  std::string where;   ///< "file:feature N" for messages
  double x = 0, y = 0; ///< grid CRS
  std::int64_t row = 0, col = 0;
};

/// Deposits read from a file, with what was left out and why.
struct DepositSet {
  std::vector<DepositPoint> points;  ///< on the grid, commodity known
  std::vector<std::string> rejected; ///< one line per left-out feature: where and why
  std::int64_t features = 0;         ///< features read (after the where filter)
  std::int64_t bad_geometry = 0, outside = 0, unknown_commodity = 0, filtered = 0;
};

/// Reads deposits from `path` with the training spec's columns/CRS. Errors: InputData naming the file for
/// a missing/unreadable file, a missing column, or an unknown CRS.
DepositSet read_deposits(const TrainingSpec& spec, const std::string& path, const GridSpec& grid);

} // namespace prospector
