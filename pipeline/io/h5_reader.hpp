#pragma once
/// \file h5_reader.hpp
/// Reader behind `prospector inspect`: summarises an OUT/prospectivity.nc written by H5Writer.

#include <string>

namespace prospector {

/// Opens `h5_path` read-only through the HDF5 C API and returns a human-readable, multi-line summary: grid
/// size, cell size and CRS (from the `crs` variable's epsg_code), each (y, x) grid variable with long_name,
/// units, valid-cell count and min/max/mean over valid cells (ignoring _FillValue and NaN), and per commodity
/// the ten best targets (rank, peak and mean score, area in km2, centroid).
/// Throws prospector::Error(ErrorKind::InputData) when the file is missing, is not HDF5, or is not a
/// prospector output (no `crs`, `x` and `y` variables), and when a variable cannot be read.
std::string inspect_output(const std::string& h5_path);

} // namespace prospector
