#pragma once
/// \file h5_write_util.hpp
/// Internal to the HDF5 writer: netCDF-compatible attribute and dataset helpers, the CF grid mapping of a
/// CRS, and the writer's state.

#include "pipeline/base/grid.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/h5_detail.hpp"
#include "pipeline/io/h5_writer.hpp"

#include <hdf5.h>
#include <ogr_srs_api.h>

#include <string>
#include <utility>
#include <vector>

namespace prospector::h5 {

// netCDF-C hides a dimension scale whose NAME starts with this text and shows it as a bare dimension (its own
// writer does the same for dimensions that have no coordinate variable).
inline constexpr const char* kDimWithoutVariable = "This is a netCDF dimension but not a netCDF variable.";

// HDF5 keeps each compact attribute in one object-header message, which is limited to 64 KiB.
inline constexpr std::size_t kMaxAttributeBytes = 60000;

/// "%.17g" of a value (attributes that round-trip).
std::string fmt17(double v);
/// A netCDF-safe variable name: letters, digits and underscores, not starting with a digit.
bool valid_name(const std::string& s);
void delete_attr_if_exists(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name);
/// Fixed-length ASCII string attribute laid out as netCDF-C writes NC_CHAR attributes (see the .cpp).
void set_string_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                     const std::string& value);
/// Numeric attribute: scalar for one value, else a 1-D array (netCDF reads both as attribute vectors).
template <typename T>
void set_num_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                  hid_t file_type, hid_t mem_type, const std::vector<T>& values) {
  const std::string what = objname + "@" + name;
  delete_attr_if_exists(ck, obj, objname, name);
  const hsize_t n = values.size();
  SpaceH space(ck.id(n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), what, "H5Screate"));
  AttrH attr(ck.id(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), what,
                   "H5Acreate2"));
  ck.ok(H5Awrite(attr.get(), mem_type, values.data()), what, "H5Awrite");
}

void set_double_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                     std::vector<double> v);
void set_float_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                    float v);
/// Dataset creation properties shared by every variable (attribute creation order, no modification times).
PlistH base_dcpl(const Checker& ck, const std::string& name);
/// Error naming the variable when `name` already exists in the file.
void require_new_name(const Checker& ck, hid_t file, const std::string& name);
/// Contiguous 1-D dataset (possibly of length 0) holding `n` values of `mem_type`.
DatasetH create_1d(const Checker& ck, hid_t file, const std::string& name, hid_t file_type, hid_t mem_type,
                   hsize_t n, const void* data);
DatasetH create_scalar_int(const Checker& ck, hid_t file, const std::string& name);
void attach(const Checker& ck, hid_t var, const std::string& varname, hid_t scale, unsigned idx);

/// The CF grid mapping of a CRS.
struct GridMapping {
  std::string name; ///< CF grid_mapping_name, "" when CF has none for this projection
  std::vector<std::pair<std::string, std::vector<double>>> params;
  std::string crs_name_attr; ///< projected_crs_name or geographic_crs_name
  std::string crs_name;
  std::string base_crs_name; ///< geographic_crs_name of a projected CRS's base CRS, "" otherwise
};
GridMapping cf_grid_mapping(OGRSpatialReferenceH srs);
/// The grid's CRS; Error(Runtime) when it has none.
gdal::SpatialRef grid_srs(const GridSpec& grid, const std::string& where);

} // namespace prospector::h5

namespace prospector {

struct H5Writer::Impl {
  h5::Checker ck;
  GridSpec grid;
  bool geographic = false;
  h5::FileH file;
  h5::DatasetH x, y;
  bool closed = false;
  GridCompression compression;

  explicit Impl(const std::string& path) : ck(path) {}

  void require_open(const std::string& what) const {
    if (closed || file.get() < 0) throw_runtime(ck.file() + ": " + what + " after the file was closed");
  }
  void str(hid_t obj, const std::string& objname, const std::string& name, const std::string& value) const {
    h5::set_string_attr(ck, obj, objname, name, value);
  }
  hid_t root() const { return file.get(); }
};

} // namespace prospector
