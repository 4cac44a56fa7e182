#pragma once
/// \file h5_writer.hpp
/// Writer of OUT/prospectivity.nc: netCDF-4 / CF-1.8 layout through the HDF5 C API and hdf5_hl dimension
/// scales.
///
/// Layout (documented in schemas/output_layout.json):
/// - dimension scales `y` (north to south) and `x`, pixel-centre coordinates, CF attributes;
/// - `crs`: scalar grid-mapping variable with grid_mapping_name, crs_wkt, spatial_ref, GeoTransform,
/// epsg_code;
/// - float32 (y, x) grids, chunked and deflated, `_FillValue` attribute and dataset fill value = kFillValue,
///   with `grid_mapping = "crs"`, `units`, `long_name`, `coordinates`;
/// - per commodity c: CF-1.8 simple geometry containers `targets_<c>_polygon` and `targets_<c>_point`, with
///   instance dimension `target_<c>` and data variables rank, peak_score, mean_score, area;
/// - `provenance`: scalar variable whose attributes hold the job text, version, inputs and their SHA-256.
/// Every attribute string is fixed-length ASCII, null-padded, stored the way netCDF-C writes text attributes
/// (size = length, no trailing NUL in the value), which netCDF readers and GDAL's CF-1.8 geometry reader
/// need.

#include "pipeline/base/grid.hpp"
#include "pipeline/base/target.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prospector {

/// Scoped owner of the HDF5 library's lifetime, made once at the start of the CLI before any HDF5 call.
/// HDF5 closes whatever is still open from an atexit handler; a file whose close failed (a full disk) is
/// still open then, and closing it again crashes (SIGSEGV). The guard turns that handler off and, on
/// destruction, releases the library only when no file is left open; otherwise the process exit reclaims it.
class Hdf5LibraryGuard {
public:
  Hdf5LibraryGuard();
  ~Hdf5LibraryGuard();
  Hdf5LibraryGuard(const Hdf5LibraryGuard&) = delete;
  Hdf5LibraryGuard& operator=(const Hdf5LibraryGuard&) = delete;
};

/// Fill value of every float grid in the output.
constexpr float kFillValue = -9999.0f;

/// One (y, x) float32 grid to write. NaN cells are written as kFillValue.
struct GridVariable {
  std::string name;
  std::string long_name;
  std::string units;
  const float* data = nullptr;                                ///< ny*nx, row 0 north
  std::map<std::string, std::string> attributes;              ///< extra string attributes
  std::map<std::string, std::vector<float>> float_attributes; ///< extra float attributes (CF flag_values)
};

/// One input file recorded in the provenance.
struct InputRecord {
  std::string id;
  std::string path;
  std::string sha256;
};

/// One float64 column of a table written with H5Writer::write_table.
struct TableColumn {
  std::string name;
  std::string long_name;
  std::string units;
  std::vector<double> values;
};

/// Provenance stored in the output.
struct Provenance {
  std::string job_path;
  std::string job_text;
  std::string version;
  std::string created_utc;
  std::vector<InputRecord> inputs;
};

/// How grids are stored: chunks of up to 256 x 256 cells, byte-shuffled and deflated (zlib streams that every
/// HDF5, netCDF and GDAL reader decodes) at `deflate_level`, or stored as they are when it is 0.
struct GridCompression {
  int deflate_level = 0; ///< 0: none; 1 (fastest) to 12 (smallest), libdeflate's levels
};

/// Streams grids and tables into one HDF5 file. Errors throw prospector::Error (Runtime) naming the file
/// and the variable. The destructor closes handles and never throws.
class H5Writer {
public:
  /// Creates (truncates) `path` and writes the coordinate scales and the `crs` variable.
  H5Writer(const std::string& path, const GridSpec& grid, const std::string& title,
           GridCompression compression = {});
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  /// Writes one grid, chunked (up to 256 x 256) and compressed as the writer was told, and attaches x/y
  /// scales. Chunks are compressed on all OpenMP threads and written with HDF5's direct chunk write.
  void write_grid(const GridVariable& var);
  /// Fills rows [row0, row0 + rows) of a grid into `buf` (rows * nx floats, NaN = nodata).
  using RowSource = std::function<void(std::int64_t row0, std::int64_t rows, float* buf)>;
  /// Like write_grid, but streams the grid in blocks of chunk rows from `source` (var.data is ignored), so
  /// only one block is in memory.
  void write_grid_streamed(const GridVariable& var, const RowSource& source);
  /// Writes the ranked targets of one commodity as CF-1.8 point and polygon geometries.
  void write_targets(const CommodityTargets& targets);
  /// Writes a table as 1-D float64 variables sharing a dimension `dim` (a coordinate variable holding row
  /// indices, with `attributes` as its string and `numbers` as its float64 attributes), readable by netCDF
  /// tools; no compound types, which GIS tools cannot see. An empty table is recorded as a global attribute
  /// only.
  void write_table(const std::string& dim, const std::vector<TableColumn>& columns,
                   const std::map<std::string, std::string>& attributes,
                   const std::map<std::string, double>& numbers = {});
  /// Sets (or replaces) a global text attribute, e.g. CF's institution, references, comment.
  void set_global(const std::string& name, const std::string& value);
  /// Writes the provenance variable and global history.
  void write_provenance(const Provenance& prov);
  /// Flushes and closes the file; further calls are errors.
  void close();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Writes the GDAL PAM sidecar `<h5_path>.aux.xml` that georeferences each listed grid for GDAL's HDF5 driver
/// (and so QGIS drag-and-drop): per grid a <Subdataset name="//var"> with SRS, GeoTransform and nodata.
void write_pam_sidecar(const std::string& h5_path, const GridSpec& grid,
                       const std::vector<std::string>& grids);

} // namespace prospector
