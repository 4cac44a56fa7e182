#pragma once
/// \file export.hpp
/// `prospector export`: the grids of an output file as Cloud-Optimized GeoTIFFs or tiled GeoTIFFs with
/// overviews, each with a QGIS layer style, for GIS users who want one file per layer.

#include <string>
#include <vector>

namespace prospector {

/// What to export and where.
struct ExportOptions {
  std::string format = "COG";      ///< COG (GDAL's COG driver) or GTiff (tiled, internal overviews)
  std::vector<std::string> layers; ///< grid variable names; empty = every grid of the file
  std::string out_dir;             ///< "" = <output folder>/export
};

/// Exports the grids of `path` (an output folder holding prospectivity.nc, or the file itself): one
/// `<layer>.tif` per grid, deflate-compressed, nodata -9999, the grid's CRS and geotransform, overviews
/// (averaged; nearest for class-code grids), and a `<layer>.qml` QGIS style (a colour ramp over the grid's
/// range; a paletted style with the unit names for class codes), plus `targets.qml` for targets.gpkg.
/// Each file is written under a temporary name and renamed. Returns one line per file written.
/// Throws Error(Usage) for a missing file or an unknown layer (naming the available ones), Error(Runtime)
/// when GDAL cannot write.
std::string export_grids(const std::string& path, const ExportOptions& options);

} // namespace prospector
