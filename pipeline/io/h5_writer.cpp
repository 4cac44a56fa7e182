#include "pipeline/io/h5_writer.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/sha256.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#ifndef PROSPECTOR_VERSION
#define PROSPECTOR_VERSION "unknown"
#endif

namespace prospector {

namespace {

// netCDF-C hides a dimension scale whose NAME starts with this text and shows it as a bare dimension (its own
// writer does the same for dimensions that have no coordinate variable).
constexpr const char* kDimWithoutVariable = "This is a netCDF dimension but not a netCDF variable.";

// HDF5 keeps each compact attribute in one object-header message, which is limited to 64 KiB.
constexpr std::size_t kMaxAttributeBytes = 60000;

/// Turns off HDF5's automatic printing of its error stack for the lifetime of the guard; the failing call and
/// HDF5's own description go into the exception message instead.
class ErrorSilencer {
public:
  ErrorSilencer() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~ErrorSilencer() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  ErrorSilencer(const ErrorSilencer&) = delete;
  ErrorSilencer& operator=(const ErrorSilencer&) = delete;

private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

herr_t collect_error(unsigned n, const H5E_error2_t* err, void* client) {
  auto* out = static_cast<std::string*>(client);
  // Walking upward, entry 0 is where HDF5 detected the problem: the most specific description.
  if (n == 0 && err && err->desc) *out = err->desc;
  return 0;
}

std::string hdf5_error_text() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return text;
}

/// Owning hid_t; the destructor closes and never throws.
template <herr_t (*Close)(hid_t)> class Handle {
public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  /// Closes now and returns HDF5's status (for the file, whose close flushes).
  herr_t close_now() noexcept {
    herr_t rc = id_ >= 0 ? Close(id_) : 0;
    id_ = H5I_INVALID_HID;
    return rc;
  }

private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileH = Handle<H5Fclose>;
using DatasetH = Handle<H5Dclose>;
using SpaceH = Handle<H5Sclose>;
using TypeH = Handle<H5Tclose>;
using PlistH = Handle<H5Pclose>;
using AttrH = Handle<H5Aclose>;

/// Checks HDF5 return codes against one output file.
class Checker {
public:
  explicit Checker(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const std::string& object, const char* call, const std::string& hint = {}) const {
    std::string detail = hdf5_error_text();
    std::string msg = file_ + ": HDF5 " + call + " failed for '" + object + "'";
    if (!detail.empty()) msg += ": " + detail;
    msg += hint.empty() ? " (check free disk space and write permission)" : " (" + hint + ")";
    throw_runtime(msg);
  }
  hid_t id(hid_t id, const std::string& object, const char* call) const {
    if (id < 0) fail(object, call);
    return id;
  }
  void ok(herr_t rc, const std::string& object, const char* call) const {
    if (rc < 0) fail(object, call);
  }

private:
  std::string file_;
};

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

/// Fixed-length ASCII string attribute with a scalar dataspace, laid out exactly as netCDF-C writes NC_CHAR
/// attributes: size = strlen (no stored NUL) and H5T_STR_NULLTERM; an empty string gets a null dataspace.
/// A stored NUL would become part of the netCDF value (length strlen+1), and GDAL's CF-1.8 geometry reader
/// then fails to match e.g. axis = "X\0" against "X".
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
  ck.ok(H5Tset_cset(type.get(), H5T_CSET_ASCII), what, "H5Tset_cset");
  SpaceH space(ck.id(H5Screate(value.empty() ? H5S_NULL : H5S_SCALAR), what, "H5Screate"));
  AttrH attr(ck.id(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), what,
                   "H5Acreate2"));
  if (!value.empty()) ck.ok(H5Awrite(attr.get(), type.get(), value.data()), what, "H5Awrite");
}

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

// --- CRS -> CF grid mapping ------------------------------------------------------------------------------

struct GridMapping {
  std::string name; // CF grid_mapping_name, "" when CF has none for this projection
  std::vector<std::pair<std::string, std::vector<double>>> params;
  std::string crs_name_attr; // projected_crs_name or geographic_crs_name
  std::string crs_name;
};

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

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

gdal::SpatialRef grid_srs(const GridSpec& grid, const std::string& where) {
  if (!grid.crs_wkt.empty())
    return gdal::SpatialRef::from_user_input(grid.crs_wkt, where, ErrorKind::Runtime);
  if (grid.epsg > 0)
    return gdal::SpatialRef::from_user_input("EPSG:" + std::to_string(grid.epsg), where, ErrorKind::Runtime);
  throw_runtime(where + ": the analysis grid has no CRS (neither crs_wkt nor an EPSG code)");
}

/// Signed area (shoelace) of a ring in map coordinates; > 0 when anticlockwise with y pointing north.
double signed_area(const Ring& r) {
  double a = 0.0;
  for (std::size_t i = 0; i + 1 < r.size(); ++i)
    a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  if (!r.empty()) a += r.back()[0] * r.front()[1] - r.front()[0] * r.back()[1];
  return 0.5 * a;
}

} // namespace

// ---------------------------------------------------------------------------------------------------------

struct H5Writer::Impl {
  Checker ck;
  GridSpec grid;
  bool geographic = false;
  FileH file;
  DatasetH x, y;
  bool closed = false;

  explicit Impl(const std::string& path) : ck(path) {}

  void require_open(const std::string& what) const {
    if (closed || file.get() < 0) throw_runtime(ck.file() + ": " + what + " after the file was closed");
  }
  void str(hid_t obj, const std::string& objname, const std::string& name, const std::string& value) const {
    set_string_attr(ck, obj, objname, name, value);
  }
  hid_t root() const { return file.get(); }
};

H5Writer::H5Writer(const std::string& path, const GridSpec& grid, const std::string& title)
    : impl_(std::make_unique<Impl>(path)) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  const Checker& ck = m.ck;
  m.grid = grid;
  if (grid.nx <= 0 || grid.ny <= 0 || !(grid.cell > 0.0))
    throw_runtime(path + ": cannot write an empty analysis grid (" + std::to_string(grid.nx) + " x " +
                  std::to_string(grid.ny) + " cells, cell " + fmt17(grid.cell) + ")");
  gdal::SpatialRef srs = grid_srs(grid, path);
  m.geographic = srs.is_geographic();

  // Link and attribute creation order are tracked as netCDF-4 does, so that netCDF-C lists objects in
  // writing order rather than alphabetically.
  PlistH fcpl(ck.id(H5Pcreate(H5P_FILE_CREATE), "/", "H5Pcreate"));
  ck.ok(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "/",
        "H5Pset_link_creation_order");
  ck.ok(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "/",
        "H5Pset_attr_creation_order");
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
  if (f < 0) ck.fail("/", "H5Fcreate", "is the output folder writable, and is the file not open elsewhere?");
  m.file = FileH(f);

  m.str(f, "/", "Conventions", "CF-1.8");
  m.str(f, "/", "title", title);
  m.str(f, "/", "source", std::string("prospector ") + PROSPECTOR_VERSION);
  m.str(f, "/", "history", std::string("created by prospector ") + PROSPECTOR_VERSION);

  // Coordinate variables (pixel centres; y runs north to south like the rows).
  std::vector<double> xs(static_cast<std::size_t>(grid.nx)), ys(static_cast<std::size_t>(grid.ny));
  for (std::int64_t i = 0; i < grid.nx; ++i)
    xs[static_cast<std::size_t>(i)] = grid.x_center(i);
  for (std::int64_t j = 0; j < grid.ny; ++j)
    ys[static_cast<std::size_t>(j)] = grid.y_center(j);
  m.y = create_1d(ck, f, "y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ys.size(), ys.data());
  m.x = create_1d(ck, f, "x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, xs.size(), xs.data());
  ck.ok(H5DSset_scale(m.y.get(), "y"), "y", "H5DSset_scale");
  ck.ok(H5DSset_scale(m.x.get(), "x"), "x", "H5DSset_scale");
  if (m.geographic) {
    m.str(m.y.get(), "y", "standard_name", "latitude");
    m.str(m.y.get(), "y", "long_name", "latitude of cell centre");
    m.str(m.y.get(), "y", "units", "degrees_north");
    m.str(m.x.get(), "x", "standard_name", "longitude");
    m.str(m.x.get(), "x", "long_name", "longitude of cell centre");
    m.str(m.x.get(), "x", "units", "degrees_east");
  } else {
    m.str(m.y.get(), "y", "standard_name", "projection_y_coordinate");
    m.str(m.y.get(), "y", "long_name", "y coordinate of cell centre");
    m.str(m.y.get(), "y", "units", grid.units);
    m.str(m.x.get(), "x", "standard_name", "projection_x_coordinate");
    m.str(m.x.get(), "x", "long_name", "x coordinate of cell centre");
    m.str(m.x.get(), "x", "units", grid.units);
  }
  m.str(m.y.get(), "y", "axis", "Y");
  m.str(m.x.get(), "x", "axis", "X");

  // Grid mapping variable.
  DatasetH crs = create_scalar_int(ck, f, "crs");
  const GridMapping gm = cf_grid_mapping(srs.get());
  if (!gm.name.empty()) m.str(crs.get(), "crs", "grid_mapping_name", gm.name);
  for (const auto& [name, values] : gm.params)
    set_double_attr(ck, crs.get(), "crs", name, values);
  if (!gm.crs_name.empty() && !gm.crs_name_attr.empty())
    m.str(crs.get(), "crs", gm.crs_name_attr, gm.crs_name);
  const std::string wkt2 = srs.to_wkt();
  const std::string wkt1 = srs.to_wkt1();
  if (wkt2.empty() && wkt1.empty()) throw_runtime(path + ": the grid CRS cannot be exported as WKT");
  m.str(crs.get(), "crs", "crs_wkt", wkt2.empty() ? wkt1 : wkt2);
  if (!wkt1.empty()) m.str(crs.get(), "crs", "spatial_ref", wkt1);
  const auto gt = grid.geotransform();
  std::string gts;
  for (std::size_t i = 0; i < gt.size(); ++i)
    gts += (i ? " " : "") + fmt17(gt[i]);
  m.str(crs.get(), "crs", "GeoTransform", gts);
  const int epsg = grid.epsg > 0 ? grid.epsg : srs.epsg();
  if (epsg > 0) m.str(crs.get(), "crs", "epsg_code", "EPSG:" + std::to_string(epsg));
}

H5Writer::~H5Writer() {
  if (!impl_ || impl_->closed) return;
  ErrorSilencer quiet;
  impl_->x.reset();
  impl_->y.reset();
  impl_->file.reset();
  H5Eclear2(H5E_DEFAULT);
}

void H5Writer::write_grid(const GridVariable& var) {
  if (!var.data) throw_runtime(impl_->ck.file() + ": grid '" + var.name + "' has no data");
  const std::int64_t nx = impl_->grid.nx;
  write_grid_streamed(var, [&](std::int64_t row0, std::int64_t rows, float* buf) {
    std::copy(var.data + row0 * nx, var.data + (row0 + rows) * nx, buf);
  });
}

void H5Writer::write_grid_streamed(const GridVariable& var, const RowSource& source) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("write_grid(" + var.name + ")");
  const Checker& ck = m.ck;
  const std::string& name = var.name;
  if (!valid_name(name)) throw_runtime(ck.file() + ": invalid grid variable name '" + name + "'");
  for (const auto& kv : var.attributes) {
    static const std::set<std::string> reserved = {"_FillValue",     "missing_value", "grid_mapping",
                                                   "CLASS",          "NAME",          "DIMENSION_LIST",
                                                   "REFERENCE_LIST", "long_name",     "units"};
    if (reserved.count(kv.first) || kv.first.empty())
      throw_runtime(ck.file() + ": grid '" + name + "': extra attribute '" + kv.first + "' is reserved");
  }
  require_new_name(ck, m.root(), name);

  const hsize_t ny = static_cast<hsize_t>(m.grid.ny), nx = static_cast<hsize_t>(m.grid.nx);
  const hsize_t dims[2] = {ny, nx};
  const hsize_t chunk[2] = {std::min<hsize_t>(256, ny), std::min<hsize_t>(256, nx)};
  SpaceH fspace(ck.id(H5Screate_simple(2, dims, nullptr), name, "H5Screate_simple"));
  PlistH dcpl = base_dcpl(ck, name);
  ck.ok(H5Pset_chunk(dcpl.get(), 2, chunk), name, "H5Pset_chunk");
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    ck.ok(H5Pset_shuffle(dcpl.get()), name, "H5Pset_shuffle");
    ck.ok(H5Pset_deflate(dcpl.get(), 4), name, "H5Pset_deflate");
  }
  const float fill = kFillValue;
  ck.ok(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_FLOAT, &fill), name, "H5Pset_fill_value");
  DatasetH ds(ck.id(
      H5Dcreate2(m.root(), name.c_str(), H5T_IEEE_F32LE, fspace.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      name, "H5Dcreate2"));

  // Blocks of whole chunk rows: each chunk is compressed once, and only one block is copied at a time.
  const hsize_t block_rows = chunk[0];
  std::vector<float> buf(static_cast<std::size_t>(block_rows * nx));
  for (hsize_t r0 = 0; r0 < ny; r0 += block_rows) {
    const hsize_t rows = std::min(block_rows, ny - r0);
    source(static_cast<std::int64_t>(r0), static_cast<std::int64_t>(rows), buf.data());
    const std::size_t count = static_cast<std::size_t>(rows * nx);
    for (std::size_t i = 0; i < count; ++i)
      if (std::isnan(buf[i])) buf[i] = kFillValue;
    const hsize_t start[2] = {r0, 0}, cnt[2] = {rows, nx};
    ck.ok(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr), name,
          "H5Sselect_hyperslab");
    SpaceH mspace(ck.id(H5Screate_simple(2, cnt, nullptr), name, "H5Screate_simple"));
    ck.ok(H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()), name,
          "H5Dwrite");
  }

  // _FillValue must have the variable's type, or netCDF-C refuses the variable.
  set_float_attr(ck, ds.get(), name, "_FillValue", kFillValue);
  set_float_attr(ck, ds.get(), name, "missing_value", kFillValue);
  m.str(ds.get(), name, "long_name", var.long_name);
  m.str(ds.get(), name, "units", var.units);
  m.str(ds.get(), name, "grid_mapping", "crs");
  for (const auto& [k, v] : var.attributes)
    m.str(ds.get(), name, k, v);
  attach(ck, ds.get(), name, m.y.get(), 0);
  attach(ck, ds.get(), name, m.x.get(), 1);
}

void H5Writer::write_targets(const CommodityTargets& targets) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  const std::string& c = targets.commodity;
  m.require_open("write_targets(" + c + ")");
  const Checker& ck = m.ck;
  const hid_t f = m.root();
  if (!valid_name(c)) throw_runtime(ck.file() + ": invalid commodity name '" + c + "'");
  const std::string pre = "targets_" + c;
  const std::string poly = pre + "_polygon", point = pre + "_point";
  const std::string inst_dim = "target_" + c, node_dim = "node_" + c, part_dim = "part_" + c;
  const std::size_t n = targets.targets.size();
  if (n == 0) {
    // GDAL's CF-1.8 reader rejects zero-length geometry dimensions ("A dimension has length <= 0") on every
    // open of the file, so an empty commodity is only recorded as a global attribute.
    require_new_name(ck, f, poly);
    m.str(f, "/", pre,
          "no targets (score threshold " + fmt17(targets.threshold) + ", top fraction " +
              fmt17(targets.top_fraction) + ")");
    return;
  }

  // Flatten the outlines into CF's node/part arrays. CF 1.8 (7.5) wants exterior rings anticlockwise and
  // interior rings clockwise; the closing node may repeat the first one, which GDAL and GEOS expect.
  std::vector<std::int32_t> ranks, node_count, part_node_count, interior;
  std::vector<double> node_x, node_y;
  for (const Target& t : targets.targets) {
    ranks.push_back(t.rank);
    std::int64_t nodes = 0;
    for (const Polygon& pg : t.polygons) {
      for (std::size_t r = 0; r < pg.size(); ++r) {
        if (pg[r].empty()) continue;
        Ring ring = pg[r];
        if (ring.front() != ring.back()) ring.push_back(ring.front());
        const bool want_ccw = (r == 0);
        if ((signed_area(ring) > 0) != want_ccw) std::reverse(ring.begin(), ring.end());
        for (const auto& p : ring) {
          node_x.push_back(p[0]);
          node_y.push_back(p[1]);
        }
        part_node_count.push_back(static_cast<std::int32_t>(ring.size()));
        interior.push_back(r == 0 ? 0 : 1);
        nodes += static_cast<std::int64_t>(ring.size());
      }
    }
    if (nodes == 0)
      throw_runtime(ck.file() + ": " + c + " target of rank " + std::to_string(t.rank) + " has no outline");
    node_count.push_back(static_cast<std::int32_t>(nodes));
  }
  const hsize_t nn = node_x.size(), np = part_node_count.size();

  // Dimensions: the instance dimension is a coordinate variable holding the ranks; node and part dimensions
  // are index coordinate variables so that every 1-D variable has a named dimension in netCDF.
  DatasetH inst = create_1d(ck, f, inst_dim, H5T_STD_I32LE, H5T_NATIVE_INT32, n, ranks.data());
  ck.ok(H5DSset_scale(inst.get(), inst_dim.c_str()), inst_dim, "H5DSset_scale");
  m.str(inst.get(), inst_dim, "long_name", c + " target rank (1 = best)");
  m.str(inst.get(), inst_dim, "units", "1");
  std::vector<std::int32_t> idx(std::max(nn, np));
  for (std::size_t i = 0; i < idx.size(); ++i)
    idx[i] = static_cast<std::int32_t>(i);
  DatasetH node = create_1d(ck, f, node_dim, H5T_STD_I32LE, H5T_NATIVE_INT32, nn, idx.data());
  ck.ok(H5DSset_scale(node.get(), node_dim.c_str()), node_dim, "H5DSset_scale");
  m.str(node.get(), node_dim, "long_name", "index of " + c + " target outline nodes");
  DatasetH part = create_1d(ck, f, part_dim, H5T_STD_I32LE, H5T_NATIVE_INT32, np, idx.data());
  ck.ok(H5DSset_scale(part.get(), part_dim.c_str()), part_dim, "H5DSset_scale");
  m.str(part.get(), part_dim, "long_name", "index of " + c + " target outline rings");

  const std::string xname = m.geographic ? "longitude" : "projection_x_coordinate";
  const std::string yname = m.geographic ? "latitude" : "projection_y_coordinate";
  const std::string xunits = m.geographic ? "degrees_east" : m.grid.units;
  const std::string yunits = m.geographic ? "degrees_north" : m.grid.units;
  const std::string area_units = m.geographic ? "degree2" : (m.grid.units == "m" ? "m2" : m.grid.units + "2");

  // Node coordinates (CF requires the axis attribute on them).
  {
    DatasetH nx = create_1d(ck, f, pre + "_node_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nn, node_x.data());
    attach(ck, nx.get(), pre + "_node_x", node.get(), 0);
    m.str(nx.get(), pre + "_node_x", "standard_name", xname);
    m.str(nx.get(), pre + "_node_x", "long_name", "x of " + c + " target outline nodes");
    m.str(nx.get(), pre + "_node_x", "units", xunits);
    m.str(nx.get(), pre + "_node_x", "axis", "X");
    DatasetH ny = create_1d(ck, f, pre + "_node_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nn, node_y.data());
    attach(ck, ny.get(), pre + "_node_y", node.get(), 0);
    m.str(ny.get(), pre + "_node_y", "standard_name", yname);
    m.str(ny.get(), pre + "_node_y", "long_name", "y of " + c + " target outline nodes");
    m.str(ny.get(), pre + "_node_y", "units", yunits);
    m.str(ny.get(), pre + "_node_y", "axis", "Y");

    DatasetH cnt =
        create_1d(ck, f, pre + "_node_count", H5T_STD_I32LE, H5T_NATIVE_INT32, n, node_count.data());
    attach(ck, cnt.get(), pre + "_node_count", inst.get(), 0);
    m.str(cnt.get(), pre + "_node_count", "long_name", "number of outline nodes of each " + c + " target");
    DatasetH pnc = create_1d(ck, f, pre + "_part_node_count", H5T_STD_I32LE, H5T_NATIVE_INT32, np,
                             part_node_count.data());
    attach(ck, pnc.get(), pre + "_part_node_count", part.get(), 0);
    m.str(pnc.get(), pre + "_part_node_count", "long_name", "number of nodes of each " + c + " outline ring");
    DatasetH ir =
        create_1d(ck, f, pre + "_interior_ring", H5T_STD_I32LE, H5T_NATIVE_INT32, np, interior.data());
    attach(ck, ir.get(), pre + "_interior_ring", part.get(), 0);
    m.str(ir.get(), pre + "_interior_ring", "long_name", "outline ring type of " + c + " targets");
    set_num_attr(ck, ir.get(), pre + "_interior_ring", "flag_values", H5T_STD_I32LE, H5T_NATIVE_INT32,
                 std::vector<std::int32_t>{0, 1});
    m.str(ir.get(), pre + "_interior_ring", "flag_meanings", "exterior_ring interior_ring");
  }

  // Geometry containers.
  {
    DatasetH g = create_scalar_int(ck, f, poly);
    m.str(g.get(), poly, "geometry_type", "polygon");
    m.str(g.get(), poly, "node_count", pre + "_node_count");
    m.str(g.get(), poly, "node_coordinates", pre + "_node_x " + pre + "_node_y");
    m.str(g.get(), poly, "part_node_count", pre + "_part_node_count");
    m.str(g.get(), poly, "interior_ring", pre + "_interior_ring");
    m.str(g.get(), poly, "grid_mapping", "crs");
    m.str(g.get(), poly, "long_name", "outlines of ranked " + c + " exploration targets");
    set_double_attr(ck, g.get(), poly, "score_threshold", {targets.threshold});
    set_double_attr(ck, g.get(), poly, "top_fraction", {targets.top_fraction});
    DatasetH pt = create_scalar_int(ck, f, point);
    m.str(pt.get(), point, "geometry_type", "point");
    m.str(pt.get(), point, "node_coordinates", pre + "_centroid_x " + pre + "_centroid_y");
    m.str(pt.get(), point, "grid_mapping", "crs");
    m.str(pt.get(), point, "long_name", "centroids of ranked " + c + " exploration targets");
  }

  // Data variables over the instance dimension.
  auto column = [&](const std::string& name, hid_t ftype, hid_t mtype, const void* data,
                    const std::string& geometry, const std::string& long_name, const std::string& units) {
    DatasetH d = create_1d(ck, f, name, ftype, mtype, n, data);
    attach(ck, d.get(), name, inst.get(), 0);
    m.str(d.get(), name, "long_name", long_name);
    if (!units.empty()) m.str(d.get(), name, "units", units);
    m.str(d.get(), name, "geometry", geometry);
    m.str(d.get(), name, "grid_mapping", "crs");
    return d;
  };
  std::vector<float> peak(n), mean(n);
  std::vector<double> area(n), cx(n), cy(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Target& t = targets.targets[i];
    peak[i] = static_cast<float>(t.peak_score);
    mean[i] = static_cast<float>(t.mean_score);
    area[i] = t.area;
    cx[i] = t.centroid_x;
    cy[i] = t.centroid_y;
  }
  column(pre + "_rank", H5T_STD_I32LE, H5T_NATIVE_INT32, ranks.data(), poly, c + " target rank (1 = best)",
         "1");
  column(pre + "_peak_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, peak.data(), poly,
         "peak " + c + " prospectivity in the target", "1");
  column(pre + "_mean_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, mean.data(), poly,
         "mean " + c + " prospectivity over the target", "1");
  column(pre + "_area", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, area.data(), poly, "area of the " + c + " target",
         area_units);
  {
    // The centroids are also the point container's node coordinates, hence axis/standard_name.
    DatasetH dx = column(pre + "_centroid_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cx.data(), poly,
                         "x of the " + c + " target centroid", xunits);
    m.str(dx.get(), pre + "_centroid_x", "standard_name", xname);
    m.str(dx.get(), pre + "_centroid_x", "axis", "X");
    DatasetH dy = column(pre + "_centroid_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cy.data(), poly,
                         "y of the " + c + " target centroid", yunits);
    m.str(dy.get(), pre + "_centroid_y", "standard_name", yname);
    m.str(dy.get(), pre + "_centroid_y", "axis", "Y");
  }
  column(pre + "_point_rank", H5T_STD_I32LE, H5T_NATIVE_INT32, ranks.data(), point,
         c + " target rank (1 = best)", "1");
  column(pre + "_point_peak_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, peak.data(), point,
         "peak " + c + " prospectivity in the target", "1");
  column(pre + "_point_area", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, area.data(), point,
         "area of the " + c + " target", area_units);

  // Evidence: a classic netCDF char matrix (target, strlen), which netCDF-C, GDAL and xarray read as one
  // string per target; the string-length dimension is a bare netCDF dimension, not a variable.
  {
    std::size_t len = 1;
    for (const Target& t : targets.targets)
      len = std::max(len, t.evidence.size());
    const std::string ev = pre + "_evidence", strlen_dim = "evidence_strlen_" + c;
    require_new_name(ck, f, strlen_dim);
    const hsize_t sl = len;
    SpaceH sspace(ck.id(H5Screate_simple(1, &sl, nullptr), strlen_dim, "H5Screate_simple"));
    PlistH sdcpl = base_dcpl(ck, strlen_dim);
    DatasetH sdim(ck.id(H5Dcreate2(f, strlen_dim.c_str(), H5T_IEEE_F32LE, sspace.get(), H5P_DEFAULT,
                                   sdcpl.get(), H5P_DEFAULT),
                        strlen_dim, "H5Dcreate2"));
    char scale_name[128];
    std::snprintf(scale_name, sizeof scale_name, "%s%10d", kDimWithoutVariable, static_cast<int>(len));
    ck.ok(H5DSset_scale(sdim.get(), scale_name), strlen_dim, "H5DSset_scale");

    require_new_name(ck, f, ev);
    TypeH ctype(ck.id(H5Tcopy(H5T_C_S1), ev, "H5Tcopy"));
    ck.ok(H5Tset_size(ctype.get(), 1), ev, "H5Tset_size");
    ck.ok(H5Tset_strpad(ctype.get(), H5T_STR_NULLTERM), ev, "H5Tset_strpad");
    const hsize_t edims[2] = {n, len};
    SpaceH espace(ck.id(H5Screate_simple(2, edims, nullptr), ev, "H5Screate_simple"));
    PlistH edcpl = base_dcpl(ck, ev);
    DatasetH eds(
        ck.id(H5Dcreate2(f, ev.c_str(), ctype.get(), espace.get(), H5P_DEFAULT, edcpl.get(), H5P_DEFAULT), ev,
              "H5Dcreate2"));
    if (n > 0) {
      std::vector<char> chars(n * len, '\0');
      for (std::size_t i = 0; i < n; ++i)
        std::memcpy(chars.data() + i * len, targets.targets[i].evidence.data(),
                    targets.targets[i].evidence.size());
      ck.ok(H5Dwrite(eds.get(), ctype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, chars.data()), ev, "H5Dwrite");
    }
    attach(ck, eds.get(), ev, inst.get(), 0);
    attach(ck, eds.get(), ev, sdim.get(), 1);
    m.str(eds.get(), ev, "long_name", "top contributing evidence layers (id:share, largest first)");
    m.str(eds.get(), ev, "geometry", poly);
    m.str(eds.get(), ev, "grid_mapping", "crs");
  }
}

void H5Writer::write_table(const std::string& dim, const std::vector<TableColumn>& columns,
                           const std::map<std::string, std::string>& attributes) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("write_table(" + dim + ")");
  const Checker& ck = m.ck;
  const hid_t f = m.root();
  if (!valid_name(dim)) throw_runtime(ck.file() + ": invalid table name '" + dim + "'");
  const hsize_t n = columns.empty() ? 0 : columns.front().values.size();
  for (const auto& c : columns)
    if (c.values.size() != n || !valid_name(c.name))
      throw_runtime(ck.file() + ": table '" + dim + "': column '" + c.name +
                    "' is invalid or of another length");
  if (n == 0) {
    require_new_name(ck, f, dim);
    m.str(f, "/", dim, "empty table");
    return;
  }
  std::vector<std::int32_t> idx(n);
  for (hsize_t i = 0; i < n; ++i)
    idx[i] = static_cast<std::int32_t>(i);
  DatasetH scale = create_1d(ck, f, dim, H5T_STD_I32LE, H5T_NATIVE_INT32, n, idx.data());
  ck.ok(H5DSset_scale(scale.get(), dim.c_str()), dim, "H5DSset_scale");
  for (const auto& [k, v] : attributes)
    m.str(scale.get(), dim, k, v);
  for (const auto& c : columns) {
    DatasetH ds = create_1d(ck, f, c.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, c.values.data());
    m.str(ds.get(), c.name, "long_name", c.long_name);
    if (!c.units.empty()) m.str(ds.get(), c.name, "units", c.units);
    attach(ck, ds.get(), c.name, scale.get(), 0);
  }
}

void H5Writer::write_provenance(const Provenance& prov) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("write_provenance");
  const Checker& ck = m.ck;
  DatasetH p = create_scalar_int(ck, m.root(), "provenance");
  const std::string o = "provenance";
  m.str(p.get(), o, "long_name", "how this file was made");
  m.str(p.get(), o, "job_path", prov.job_path);
  m.str(p.get(), o, "job_text_sha256", sha256_hex(prov.job_text));
  if (prov.job_text.size() > kMaxAttributeBytes) {
    m.str(p.get(), o, "job_text",
          "(not stored: the job text is " + std::to_string(prov.job_text.size()) +
              " bytes, more than an HDF5 "
              "attribute holds; its SHA-256 is in job_text_sha256)");
  } else {
    m.str(p.get(), o, "job_text", prov.job_text);
  }
  m.str(p.get(), o, "prospector_version", prov.version);
  m.str(p.get(), o, "created_utc", prov.created_utc);
  std::string inputs;
  std::size_t stored = 0;
  for (const InputRecord& in : prov.inputs) {
    const std::string line = in.id + "\t" + in.path + "\t" + in.sha256;
    if (inputs.size() + line.size() + 200 > kMaxAttributeBytes) break;
    if (!inputs.empty()) inputs += "\n";
    inputs += line;
    ++stored;
  }
  if (stored < prov.inputs.size())
    inputs += "\n(" + std::to_string(prov.inputs.size() - stored) +
              " more inputs not listed: attribute size limit)";
  m.str(p.get(), o, "inputs", inputs);
  m.str(m.root(), "/", "history",
        "created by prospector " + prov.version + " from " + prov.job_path + " at " + prov.created_utc);
}

void H5Writer::close() {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("close");
  m.x.reset();
  m.y.reset();
  const hid_t f = m.file.get();
  herr_t rc = H5Fflush(f, H5F_SCOPE_GLOBAL);
  const std::string flush_error = rc < 0 ? hdf5_error_text() : std::string();
  const herr_t crc = m.file.close_now();
  m.closed = true;
  if (rc < 0 || crc < 0) {
    std::string detail = rc < 0 ? flush_error : hdf5_error_text();
    throw_runtime(m.ck.file() + ": HDF5 " + (rc < 0 ? "H5Fflush" : "H5Fclose") + " failed for '/'" +
                  (detail.empty() ? "" : ": " + detail) + " (check free disk space)");
  }
}

void write_pam_sidecar(const std::string& h5_path, const GridSpec& grid,
                       const std::vector<std::string>& grids) {
  const std::string where = h5_path + ".aux.xml";
  gdal::SpatialRef srs = grid_srs(grid, where);
  std::string wkt = srs.to_wkt1();
  if (wkt.empty()) wkt = srs.to_wkt();
  int count = 0;
  const int* map = OSRGetDataAxisToSRSAxisMapping(srs.get(), &count);
  std::string mapping;
  for (int i = 0; i < count; ++i)
    mapping += (i ? "," : "") + std::to_string(map[i]);
  const auto gt = grid.geotransform();
  std::string gts;
  for (std::size_t i = 0; i < gt.size(); ++i)
    gts += (i ? ", " : " ") + fmt17(gt[i]);

  std::ostringstream xml;
  xml << "<PAMDataset>\n";
  for (const std::string& g : grids) {
    xml << "  <Subdataset name=\"" << xml_escape("//" + g) << "\">\n"
        << "    <PAMDataset>\n"
        << "      <SRS dataAxisToSRSAxisMapping=\"" << mapping << "\">" << xml_escape(wkt) << "</SRS>\n"
        << "      <GeoTransform>" << gts << "</GeoTransform>\n"
        << "      <PAMRasterBand band=\"1\">\n"
        << "        <NoDataValue>" << fmt17(kFillValue) << "</NoDataValue>\n"
        << "      </PAMRasterBand>\n"
        << "    </PAMDataset>\n"
        << "  </Subdataset>\n";
  }
  xml << "</PAMDataset>\n";

  const std::string tmp = where + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_runtime("cannot create " + tmp + " (is the output folder writable?)");
    out << xml.str();
    out.flush();
    if (!out) throw_runtime("cannot write " + tmp + " (check free disk space)");
  }
  if (std::rename(tmp.c_str(), where.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw_runtime("cannot rename " + tmp + " to " + where);
  }
}

} // namespace prospector
