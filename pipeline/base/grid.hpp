#pragma once
/// \file grid.hpp
/// The analysis grid: a north-up raster in one CRS that every layer is resampled onto.

#include <array>
#include <cstdint>
#include <string>

namespace prospector {

/// A north-up analysis grid. (x0, y0) is the outer north-west corner; rows go south.
struct GridSpec {
  std::string crs_wkt;     ///< WKT2 of the CRS
  int epsg = 0;            ///< EPSG code when the CRS has one, else 0
  double x0 = 0.0;         ///< west edge (map units)
  double y0 = 0.0;         ///< north edge (map units)
  double cell = 0.0;       ///< square cell size (map units)
  std::int64_t nx = 0;     ///< columns
  std::int64_t ny = 0;     ///< rows
  std::string units = "m"; ///< linear unit of the CRS

  /// GDAL geotransform {x0, cell, 0, y0, 0, -cell}.
  std::array<double, 6> geotransform() const { return {x0, cell, 0.0, y0, 0.0, -cell}; }
  /// Map x of the centre of column `col`.
  double x_center(std::int64_t col) const { return x0 + (static_cast<double>(col) + 0.5) * cell; }
  /// Map y of the centre of row `row`.
  double y_center(std::int64_t row) const { return y0 - (static_cast<double>(row) + 0.5) * cell; }
  std::int64_t size() const { return nx * ny; }
  /// Cell area in squared map units.
  double cell_area() const { return cell * cell; }
};

/// Formats the grid for logs and `validate`: size, cell, extent, CRS.
std::string describe(const GridSpec& g);

} // namespace prospector
