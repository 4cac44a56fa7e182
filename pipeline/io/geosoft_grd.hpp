#pragma once
/// \file geosoft_grd.hpp
/// Reader of native Geosoft Oasis montaj binary grids (`.grd`, grid file format version 2), which GDAL 3.6
/// does not read (it reads only GXF, the text exchange format).
///
/// Supported, following the public "Geosoft Grid File Format" description (512-byte little-endian header,
/// then the grid as NV vectors of NE elements):
/// - element types: unsigned and signed 1-, 2- and 4-byte integers, 4-byte float and 8-byte double
///   (ES = 1, 2, 4, 8 with SF = 0 unsigned, 1 signed, 2 float); colour grids (SF = 3) are refused;
/// - compressed grids (ES + 1024): the block table after the header, each block a zlib stream (after the
///   16-byte block prefix Oasis montaj writes), inflated with GDAL's CPLZLibInflate; LZRW1 blocks are
///   refused;
/// - dummies -> NaN: integer dummies (-127, 255, -32767, 65535, -2147483647, 4294967295) and, for float
///   and double grids, anything at or below the float dummy -1e32 (outside the documented valid range),
///   plus non-finite values and values outside the float32 range after scaling;
/// - scaling: value = stored / ZMULT + ZBASE;
/// - KX = 1 (vectors are rows running east, the first one the southern row) and KX = -1 (vectors are
///   columns running north, the first one the western column); the other corners (|KX| = 2..4) were
///   never implemented by Geosoft either and are refused;
/// - rotation ROT (degrees counter-clockwise about the grid origin X0, Y0): returned in rotation_deg and
///   folded into the geotransform's rotation terms, which GDAL's warper handles.
///
/// Grid nodes are cell centres (Oasis montaj displays a cell centred on each node), so the geotransform's
/// origin is half a cell west and south of the node at X0, Y0.
///
/// Coordinate reference system: not decoded. The `.gi` side file is a binary (OLE compound document)
/// Geosoft projection record with no public description, and the `.xml` side file only names Geosoft
/// projections. crs_wkt is therefore always empty, crs_note says what side files were found, and a job
/// must set "crs" on the input.
///
/// Every header field is checked against the file size before anything is allocated: a header that
/// declares more data than the file can hold (uncompressed: 512 + NE * NV * ES bytes; compressed: more
/// than zlib's maximum ratio of about 1032:1 allows) is refused with the memory it would need.
/// All failures throw Error(InputData) naming the file and what is wrong.

#include "pipeline/io/gdal_util.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// A decoded Geosoft grid, oriented like a GDAL raster.
struct GeosoftGrid {
  std::int64_t nx = 0, ny = 0;          ///< columns and rows of `data`
  std::array<double, 6> geotransform{}; ///< GDAL geotransform (cell corners; rotation terms when rotated)
  std::string crs_wkt;                  ///< always empty (see the file comment); set "crs" in the job
  std::vector<float> data;              ///< nx * ny values, row 0 = north (top), NaN = nodata
  double rotation_deg = 0.0;            ///< ROT from the header: degrees counter-clockwise
  std::string crs_note;                 ///< why the CRS is unknown and which side files were found
};

/// True when the file starts like a Geosoft grid header: a known element size ES (1, 2, 4, 8, or +1024) and
/// sign flag SF (0..3), then positive finite spacings DE, DV and finite X0, Y0, ROT, ZBASE, ZMULT. Sizes and
/// KX are not checked here, so that a corrupt grid reaches read_geosoft_grd and gets its precise error.
/// Reads the first 76 bytes and never throws; false for Surfer, netCDF, ASCII and other `.grd` files.
bool looks_like_geosoft_grd(const std::string& path);

/// Reads and decodes a Geosoft grid (any path GDAL's VSI layer opens, including /vsimem/).
/// Throws Error(InputData) naming the file for a missing, truncated, corrupt or unsupported grid.
GeosoftGrid read_geosoft_grd(const std::string& path);

/// An in-memory (MEM driver) single-band float32 copy of the grid with its geotransform, CRS (when
/// known) and NaN nodata, for the warping code. Throws Error(Runtime) if GDAL cannot allocate it.
gdal::Dataset geosoft_to_mem_dataset(const GeosoftGrid& grid);

} // namespace prospector
