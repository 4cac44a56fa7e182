#pragma once
/// \file ingest.hpp
/// Ingest: rasters through GDAL's warper (PROJ) and geochemical points through GDAL's gridding API onto the
/// analysis grid. Geochemistry is log10-transformed (transform.log10 kernel) at ingest.

#include "pipeline/base/grid.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/geochem_csv.hpp"
#include "pipeline/job/job.hpp"

#include <string>
#include <vector>

namespace prospector {

/// Resolves the analysis grid: the requested CRS and cell, and the explicit extent or the union /
/// intersection of the raster inputs' extents (points when there are no rasters). An explicit extent is kept
/// exactly (its far edges grown to whole cells); union and intersection extents, and any extent with
/// grid.align_to, are widened to whole cells of the lattice (the align_to input's, else multiples of the
/// cell). Opens input headers only. Errors: Usage (bad CRS), InputData (unreadable input, empty
/// intersection).
GridSpec resolve_grid(const Job& job);

/// Layer name(s) an input produces: its id, or id_<element> for each element of a geochem_points input
/// (the element lower-cased, any character but a letter or digit replaced by '_'). The one place these names
/// are made.
std::vector<std::string> layer_names(const InputSpec& in);

/// Checks every input path of the job (inputs, the files of input folders that match their pattern, training
/// deposits) with stat and access before anything is opened: a FIFO would block the run, a device never
/// ends. Error(InputData) naming the input and path for anything but a regular file (a folder where the
/// input takes one: the folder form of a raster input, a vector dataset) and for a file this user may not
/// read. Paths that do not exist, and GDAL virtual paths, are left to the open that reports them.
void check_input_files(const Job& job);

/// Checks that an input opens, has a CRS and overlaps the grid; returns a one-line description.
std::string probe_input(const InputSpec& in, const GridSpec& grid);

/// The raster files of an input: its list of paths, the files of a folder matching `pattern` (sorted), or
/// the single path. Throws Error(InputData) for an empty folder.
std::vector<std::string> input_sources(const InputSpec& in);

/// Opens a raster input: the file itself, or an in-memory VRT mosaic of its sources.
gdal::Dataset open_input_raster(const InputSpec& in);

/// Where one source file lies on the grid: a window of grid cells grown by a resampling margin.
struct SourceFootprint {
  std::string path;
  std::vector<std::string> files; ///< the files it is read from (file_list), path first
  std::string digests;            ///< "sha256 [file=sha256 ...]" of those files, filled by the caller
  std::int64_t row0 = 0, col0 = 0, rows = 0, cols = 0; ///< may extend beyond the grid
};

/// Footprints of every source of a raster input on the grid (margin: 2 source cells + 1 grid cell).
std::vector<SourceFootprint> source_footprints(const InputSpec& in, const GridSpec& grid);

/// Resampling method that "auto" resolves to for this input on this grid.
std::string resampling_for(const InputSpec& in, GDALDatasetH src, const GridSpec& grid);

/// Warps band `in.band` of an opened input onto `sub` (a window of the analysis grid). Undeclared dummies
/// become NaN (counted in `dummies`). Pixel-exact coordinate transformation, so a tile's cells get the same
/// values as in an untiled run.
void warp_to_window(const InputSpec& in, GDALDatasetH src, const std::string& method, const GridSpec& sub,
                    std::vector<float>& out, std::int64_t& dummies);

/// True when the input's cells are the analysis grid's cells: the same CRS, a north-up geotransform with the
/// grid's cell size and an origin a whole number of cells from the grid's, and no mask besides nodata. Such
/// an input is read straight into the tile (read_aligned_window), with no warping.
bool aligned_with_grid(const InputSpec& in, GDALDatasetH src, const GridSpec& grid);

/// Reads band `in.band` of an aligned input (aligned_with_grid) into `sub`: cells outside the raster and its
/// nodata become NaN, undeclared dummies too (counted in `dummies`). The values are the source cells' own, as
/// warping onto the same cells gives them.
void read_aligned_window(const InputSpec& in, GDALDatasetH src, const GridSpec& sub, std::vector<float>& out,
                         std::int64_t& dummies);

/// Point samples of a geochem_points input, in grid coordinates, log10-transformed, per element.
struct PreparedPoints {
  std::vector<double> x, y;
  std::vector<std::vector<float>> log_values; ///< per element; NaN = missing
  std::vector<std::string> log;               ///< counts for the run log
  double radius = 0.0;                        ///< gridding search radius in grid units
};

/// Reads and prepares a geochem_points input (CSV, censoring, CRS transformation, log10).
PreparedPoints prepare_points(const InputSpec& in, const GridSpec& grid);

/// Content hash of the samples that can influence cells of `sub` (within the search radius).
std::string points_key(const PreparedPoints& p, const GridSpec& sub);

/// Grids element `k` of prepared points onto `sub` with the input's gridding method.
void grid_points_window(const InputSpec& in, const PreparedPoints& p, std::size_t k, const GridSpec& sub,
                        std::vector<float>& out);

} // namespace prospector
