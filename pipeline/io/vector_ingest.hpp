#pragma once
/// \file vector_ingest.hpp
/// Ingest of vector inputs through OGR (geology polygons, structure lines, feature points) and the class
/// tables of categorical layers. Vector layers are made on the whole analysis grid at once, padded by the
/// largest distance or density radius, so distances and densities are exact and the same for any tiling:
/// tiles are then cut from the whole-grid layers.

#include "pipeline/base/grid.hpp"
#include "pipeline/job/job.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// Class table of a categorical layer: names[k] names class code k ("" where no class has that code).
struct ClassTable {
  std::vector<std::string> names;
  /// The code of `name` (exact match), or -1.
  std::int64_t code(const std::string& name) const;
  /// "1=granite, 2=sediments, ...", for logs and errors.
  std::string describe() const;
};

/// Largest class code a categorical layer may use (codes index the recipes' favourability tables).
inline constexpr std::int64_t kMaxClassCode = 65535;

/// The class table of a categorical input. geology: the distinct non-empty values of `attribute` over the
/// features that pass `where`, sorted, as codes 1, 2, ... (0 is no unit). categorical_raster: the rows of
/// `class_file` (CSV value,name), else the raster's attribute table (a value and a name column). Errors
/// (Error(InputData)) name the input, file, layer and key: a missing layer or attribute, a layer without
/// features, a raster without names, codes outside 0 .. kMaxClassCode.
ClassTable input_classes(const InputSpec& in);

/// Distance up to which a vector input's distances are exact (max_distance, or 256 cells).
double vector_max_distance(const InputSpec& in, const GridSpec& grid);
/// Density radius of a structures or features input (density_radius, or 10 cells).
double vector_density_radius(const InputSpec& in, const GridSpec& grid);

/// The whole-grid layers of a geology, structures or features input, in the order of layer_names(in).
struct VectorLayers {
  std::vector<std::vector<float>> grids; ///< grid.size() floats each, row 0 north, NaN = nodata
  std::vector<std::string> log;          ///< counts for the run log
};

/// Reads the features (attribute filter `where`), reprojects them to the grid CRS and makes the layers:
/// geology the unit's class code at each cell centre (GDALRasterizeGeometries; NaN outside every polygon)
/// and, per contact unit, the distance from the cell centre to the nearest cell centre across that unit's
/// boundary; structures and features the distance to the nearest cell a line crosses or a point falls in
/// (kernel distance.edt) and the line length or point count per unit area within the density radius
/// (distance.segment_lengths / point_counts, distance.circular_density). Distances beyond the exact range
/// are written as vector_max_distance. Errors (Error(InputData)) name the input, file and layer: no CRS,
/// no feature, geometries of the wrong type (lines where polygons are expected), invalid geometries when
/// invalid_geometries is error (they are counted and skipped otherwise), a contact unit not in the table.
VectorLayers prepare_vector(const InputSpec& in, const GridSpec& grid, const ClassTable& classes);

/// Cells of `grid` whose centre lies inside a polygon of layer `layer` ("" = the first) of vector `path`
/// (reprojected to the grid CRS): 1 inside, 0 outside; grid.size() bytes, row 0 north. `key` names the job
/// key in errors (Error(InputData)): no layer, no CRS, no polygon, a layer of lines or points, or no cell
/// inside.
std::vector<std::uint8_t> polygon_mask(const std::string& path, const std::string& layer,
                                       const GridSpec& grid, const std::string& key);

/// categorical_raster: Error(InputData) naming the file and the value when the band holds a value (other
/// than nodata) that the class table does not name.
void check_raster_classes(const InputSpec& in, const ClassTable& classes);

/// One line describing a vector input for `validate`: layer, driver, feature count. Error(InputData) when the
/// dataset or layer cannot be opened.
std::string describe_vector_input(const InputSpec& in);

} // namespace prospector
