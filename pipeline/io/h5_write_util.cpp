#include "pipeline/io/h5_write_util.hpp"

#include "pipeline/base/errors.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace prospector::h5 {

std::string fmt17(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool valid_name(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '-' || ch == '.';
  });
}

// --- attribute and dataset helpers -------------------------------------------------------------------------

void delete_attr_if_exists(const Checker& ck, hid_t obj, const std::string& objname,
                           const std::string& name) {
  const htri_t ex = H5Aexists(obj, name.c_str());
  if (ex < 0) ck.fail(objname + "@" + name, "H5Aexists");
  if (ex > 0) ck.ok(H5Adelete(obj, name.c_str()), objname + "@" + name, "H5Adelete");
}

/// Fixed-length string attribute with a scalar dataspace, laid out exactly as netCDF-C writes NC_CHAR
/// attributes: size = strlen (no stored NUL) and H5T_STR_NULLTERM; an empty string gets a null dataspace.
/// A stored NUL would become part of the netCDF value (length strlen+1), and GDAL's CF-1.8 geometry reader
/// then fails to match e.g. axis = "X\0" against "X". Text with bytes beyond ASCII (a WKT's "114°E") is
/// typed H5T_CSET_UTF8, as netCDF-C types its text: readers that trust an ASCII type (h5py, h5netcdf) would
/// otherwise fail to decode it.
void set_string_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                     const std::string& value) {
  const std::string what = objname + "@" + name;
  if (value.size() > kMaxAttributeBytes)
    throw_runtime(ck.file() + ": attribute '" + what + "' is " + std::to_string(value.size()) +
                  " bytes, more than the " + std::to_string(kMaxAttributeBytes) +
                  " bytes an HDF5 attribute holds");
  delete_attr_if_exists(ck, obj, objname, name);
  TypeH type(ck.id(H5Tcopy(H5T_C_S1), what, "H5Tcopy"));
  ck.ok(H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1)), what, "H5Tset_size");
  ck.ok(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), what, "H5Tset_strpad");
  const bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return (c & 0x80) == 0; });
  ck.ok(H5Tset_cset(type.get(), ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8), what, "H5Tset_cset");
  SpaceH space(ck.id(H5Screate(value.empty() ? H5S_NULL : H5S_SCALAR), what, "H5Screate"));
  AttrH attr(ck.id(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), what,
                   "H5Acreate2"));
  if (!value.empty()) ck.ok(H5Awrite(attr.get(), type.get(), value.data()), what, "H5Awrite");
}

void set_double_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                     std::vector<double> v) {
  set_num_attr(ck, obj, objname, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
}
void set_float_attr(const Checker& ck, hid_t obj, const std::string& objname, const std::string& name,
                    float v) {
  set_num_attr(ck, obj, objname, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, std::vector<float>{v});
}

/// Dataset creation properties shared by every variable: attribute creation order (netCDF-C lists attributes
/// in that order) and no modification times, so that identical runs give identical files.
PlistH base_dcpl(const Checker& ck, const std::string& name) {
  PlistH dcpl(ck.id(H5Pcreate(H5P_DATASET_CREATE), name, "H5Pcreate"));
  ck.ok(H5Pset_attr_creation_order(dcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), name,
        "H5Pset_attr_creation_order");
  ck.ok(H5Pset_obj_track_times(dcpl.get(), 0), name, "H5Pset_obj_track_times");
  return dcpl;
}

void require_new_name(const Checker& ck, hid_t file, const std::string& name) {
  const htri_t ex = H5Lexists(file, name.c_str(), H5P_DEFAULT);
  if (ex < 0) ck.fail(name, "H5Lexists");
  if (ex > 0) throw_runtime(ck.file() + ": variable '" + name + "' is written twice");
}

/// Contiguous 1-D dataset (possibly of length 0) holding `n` values of `mem_type`.
DatasetH create_1d(const Checker& ck, hid_t file, const std::string& name, hid_t file_type, hid_t mem_type,
                   hsize_t n, const void* data) {
  require_new_name(ck, file, name);
  SpaceH space(ck.id(H5Screate_simple(1, &n, nullptr), name, "H5Screate_simple"));
  PlistH dcpl = base_dcpl(ck, name);
  DatasetH ds(
      ck.id(H5Dcreate2(file, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
            name, "H5Dcreate2"));
  if (n > 0 && data)
    ck.ok(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), name, "H5Dwrite");
  return ds;
}

DatasetH create_scalar_int(const Checker& ck, hid_t file, const std::string& name) {
  require_new_name(ck, file, name);
  SpaceH space(ck.id(H5Screate(H5S_SCALAR), name, "H5Screate"));
  PlistH dcpl = base_dcpl(ck, name);
  DatasetH ds(
      ck.id(H5Dcreate2(file, name.c_str(), H5T_STD_I32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
            name, "H5Dcreate2"));
  const std::int32_t zero = 0;
  ck.ok(H5Dwrite(ds.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, &zero), name, "H5Dwrite");
  return ds;
}

void attach(const Checker& ck, hid_t var, const std::string& varname, hid_t scale, unsigned idx) {
  ck.ok(H5DSattach_scale(var, scale, idx), varname, "H5DSattach_scale");
}

GridMapping cf_grid_mapping(OGRSpatialReferenceH srs) {
  GridMapping gm;
  auto norm = [&](const char* p, double dflt) { return OSRGetNormProjParm(srs, p, dflt, nullptr); };
  // False easting/northing stay in the CRS's own linear unit, like the x/y coordinates.
  auto raw = [&](const char* p, double dflt) { return OSRGetProjParm(srs, p, dflt, nullptr); };
  auto add = [&](const char* n, std::vector<double> v) { gm.params.emplace_back(n, std::move(v)); };
  const char* name = OSRGetName(srs);
  gm.crs_name = name ? name : "";

  if (OSRIsGeographic(srs)) {
    gm.name = "latitude_longitude";
    gm.crs_name_attr = "geographic_crs_name";
  } else if (OSRIsProjected(srs)) {
    gm.crs_name_attr = "projected_crs_name";
    // CF 1.8 (5.6): a projected_crs_name comes with the geographic_crs_name of its base CRS.
    const char* geog = OSRGetAttrValue(srs, "GEOGCS", 0);
    if (!geog) geog = OSRGetAttrValue(srs, "BASEGEOGCRS", 0);
    if (geog && *geog) gm.base_crs_name = geog;
    const char* p = OSRGetAttrValue(srs, "PROJECTION", 0);
    const std::string proj = p ? p : "";
    if (proj == SRS_PT_TRANSVERSE_MERCATOR) {
      gm.name = "transverse_mercator";
      add("scale_factor_at_central_meridian", {norm(SRS_PP_SCALE_FACTOR, 1.0)});
      add("longitude_of_central_meridian", {norm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
      add("latitude_of_projection_origin", {norm(SRS_PP_LATITUDE_OF_ORIGIN, 0.0)});
    } else if (proj == SRS_PT_LAMBERT_CONFORMAL_CONIC_2SP) {
      gm.name = "lambert_conformal_conic";
      add("standard_parallel",
          {norm(SRS_PP_STANDARD_PARALLEL_1, 0.0), norm(SRS_PP_STANDARD_PARALLEL_2, 0.0)});
      add("longitude_of_central_meridian", {norm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
      add("latitude_of_projection_origin", {norm(SRS_PP_LATITUDE_OF_ORIGIN, 0.0)});
    } else if (proj == SRS_PT_LAMBERT_CONFORMAL_CONIC_1SP && norm(SRS_PP_SCALE_FACTOR, 1.0) == 1.0) {
      gm.name = "lambert_conformal_conic";
      add("standard_parallel", {norm(SRS_PP_LATITUDE_OF_ORIGIN, 0.0)});
      add("longitude_of_central_meridian", {norm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
      add("latitude_of_projection_origin", {norm(SRS_PP_LATITUDE_OF_ORIGIN, 0.0)});
    } else if (proj == SRS_PT_ALBERS_CONIC_EQUAL_AREA) {
      gm.name = "albers_conical_equal_area";
      add("standard_parallel",
          {norm(SRS_PP_STANDARD_PARALLEL_1, 0.0), norm(SRS_PP_STANDARD_PARALLEL_2, 0.0)});
      add("longitude_of_central_meridian", {norm(SRS_PP_LONGITUDE_OF_CENTER, 0.0)});
      add("latitude_of_projection_origin", {norm(SRS_PP_LATITUDE_OF_CENTER, 0.0)});
    } else if (proj == SRS_PT_MERCATOR_1SP) {
      gm.name = "mercator";
      add("longitude_of_projection_origin", {norm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
      add("scale_factor_at_projection_origin", {norm(SRS_PP_SCALE_FACTOR, 1.0)});
    } else if (proj == SRS_PT_MERCATOR_2SP) {
      gm.name = "mercator";
      add("longitude_of_projection_origin", {norm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
      add("standard_parallel", {norm(SRS_PP_STANDARD_PARALLEL_1, 0.0)});
    } else if (proj == SRS_PT_LAMBERT_AZIMUTHAL_EQUAL_AREA) {
      gm.name = "lambert_azimuthal_equal_area";
      add("longitude_of_projection_origin", {norm(SRS_PP_LONGITUDE_OF_CENTER, 0.0)});
      add("latitude_of_projection_origin", {norm(SRS_PP_LATITUDE_OF_CENTER, 0.0)});
    } else if (proj == SRS_PT_POLAR_STEREOGRAPHIC) {
      gm.name = "polar_stereographic";
      const double lat = norm(SRS_PP_LATITUDE_OF_ORIGIN, 90.0);
      const double k = norm(SRS_PP_SCALE_FACTOR, 1.0);
      add("straight_vertical_longitude_from_pole", {norm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
      add("latitude_of_projection_origin", {lat < 0 ? -90.0 : 90.0});
      if (std::fabs(std::fabs(lat) - 90.0) < 1e-12)
        add("scale_factor_at_projection_origin", {k});
      else
        add("standard_parallel", {lat});
    }
    // Other projections: no CF name; crs_wkt and spatial_ref still define the CRS completely.
    if (!gm.name.empty()) {
      add("false_easting", {raw(SRS_PP_FALSE_EASTING, 0.0)});
      add("false_northing", {raw(SRS_PP_FALSE_NORTHING, 0.0)});
    }
  }
  if (OSRIsGeographic(srs) || OSRIsProjected(srs)) {
    const double a = OSRGetSemiMajor(srs, nullptr);
    const double inv_f = OSRGetInvFlattening(srs, nullptr);
    if (inv_f == 0.0) {
      add("earth_radius", {a});
    } else {
      add("semi_major_axis", {a});
      add("inverse_flattening", {inv_f});
    }
    add("longitude_of_prime_meridian", {OSRGetPrimeMeridian(srs, nullptr)});
  }
  return gm;
}

gdal::SpatialRef grid_srs(const GridSpec& grid, const std::string& where) {
  if (!grid.crs_wkt.empty())
    return gdal::SpatialRef::from_user_input(grid.crs_wkt, where, ErrorKind::Runtime);
  if (grid.epsg > 0)
    return gdal::SpatialRef::from_user_input("EPSG:" + std::to_string(grid.epsg), where, ErrorKind::Runtime);
  throw_runtime(where + ": the analysis grid has no CRS (neither crs_wkt nor an EPSG code)");
}

} // namespace prospector::h5
