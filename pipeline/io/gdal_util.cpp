#include "pipeline/io/gdal_util.hpp"

#include "pipeline/io/geosoft_grd.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace prospector::gdal {

namespace {
thread_local std::string t_last_error;

void CPL_STDCALL record_error(CPLErr cls, CPLErrorNum, const char* msg) {
  if (cls >= CE_Failure)
    t_last_error = msg ? msg : "";
  else if (cls == CE_Warning && t_last_error.empty() && msg) {
    // Warnings are remembered too: GDAL often explains a later failure with an earlier warning.
    t_last_error = msg;
  }
}
} // namespace

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    // GDAL's default block cache (5% of RAM) would dominate a tile's memory; tiles are read once each.
    if (!std::getenv("GDAL_CACHEMAX")) GDALSetCacheMax64(static_cast<GIntBig>(128) << 20);
    CPLSetErrorHandler(record_error);
  });
}

std::string last_error() {
  // GDAL's messages may span lines (an OGR SQL error draws a caret under the query); ours are one line each.
  std::string out;
  bool space = false;
  for (const char c : t_last_error) {
    if (c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}
void clear_error() {
  t_last_error.clear();
  CPLErrorReset();
}

Dataset::~Dataset() {
  if (h_) GDALClose(h_);
}

Dataset& Dataset::operator=(Dataset&& o) noexcept {
  if (this != &o) {
    if (h_) GDALClose(h_);
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}

void Dataset::close_checked(const std::string& what) {
  if (!h_) return;
  clear_error();
  GDALFlushCache(h_);
  GDALClose(h_);
  h_ = nullptr;
  if (CPLGetLastErrorType() >= CE_Failure || !last_error().empty()) {
    std::string e = last_error();
    if (!e.empty() && CPLGetLastErrorType() >= CE_Failure)
      throw_runtime(what + ": writing failed: " + e + " (check free disk space and permissions)");
  }
}

SpatialRef::SpatialRef() : h_(OSRNewSpatialReference(nullptr)) {
  OSRSetAxisMappingStrategy(h_, OAMS_TRADITIONAL_GIS_ORDER);
}
SpatialRef::~SpatialRef() {
  if (h_) OSRDestroySpatialReference(h_);
}

SpatialRef SpatialRef::from_user_input(const std::string& text, const std::string& where, ErrorKind kind) {
  ensure_initialized();
  SpatialRef s;
  if (text.empty() || OSRSetFromUserInput(s.h_, text.c_str()) != OGRERR_NONE)
    throw Error(kind, where + ": '" + text + "' is not a coordinate reference system GDAL/PROJ understands" +
                          " (use e.g. \"EPSG:28350\" or a WKT string)");
  OSRSetAxisMappingStrategy(s.h_, OAMS_TRADITIONAL_GIS_ORDER);
  return s;
}

SpatialRef SpatialRef::from_dataset(GDALDatasetH ds) {
  SpatialRef s;
  OGRSpatialReferenceH src = GDALGetSpatialRef(ds);
  if (src) {
    OSRDestroySpatialReference(s.h_);
    s.h_ = OSRClone(src);
    OSRSetAxisMappingStrategy(s.h_, OAMS_TRADITIONAL_GIS_ORDER);
  }
  return s;
}

bool SpatialRef::is_empty() const {
  return !OSRIsGeographic(h_) && !OSRIsProjected(h_) && !OSRIsLocal(h_) && !OSRIsCompound(h_);
}

namespace {
std::string export_wkt(OGRSpatialReferenceH h, const char* format) {
  char* wkt = nullptr;
  const char* opts[] = {format, nullptr};
  if (OSRExportToWktEx(h, &wkt, opts) != OGRERR_NONE || !wkt) {
    CPLFree(wkt);
    return {};
  }
  std::string s(wkt);
  CPLFree(wkt);
  return s;
}
} // namespace

std::string SpatialRef::to_wkt() const { return export_wkt(h_, "FORMAT=WKT2_2018"); }
std::string SpatialRef::to_wkt1() const { return export_wkt(h_, "FORMAT=WKT1_GDAL"); }

int SpatialRef::epsg() const {
  OSRAutoIdentifyEPSG(h_);
  const char* name = OSRGetAuthorityName(h_, nullptr);
  const char* code = OSRGetAuthorityCode(h_, nullptr);
  if (name && code && std::string(name) == "EPSG") return std::atoi(code);
  return 0;
}

bool SpatialRef::is_geographic() const { return OSRIsGeographic(h_) != 0; }

std::string SpatialRef::linear_units() const {
  if (is_geographic()) return "degree";
  char* name = nullptr;
  double f = OSRGetLinearUnits(h_, &name);
  if (std::fabs(f - 1.0) < 1e-12) return "m";
  return name ? name : "unknown";
}

std::vector<std::string> file_list(GDALDatasetH ds, const std::string& main) {
  std::vector<std::string> out{main};
  char** files = ds ? GDALGetFileList(ds) : nullptr;
  for (char** f = files; f && *f; ++f) {
    const std::string name = *f;
    VSIStatBufL st;
    if (name.rfind("/vsi", 0) == 0 || VSIStatL(name.c_str(), &st) != 0 || !VSI_ISREG(st.st_mode)) continue;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  CSLDestroy(files);
  return out;
}

Dataset open_raster(const std::string& path, const std::string& what) {
  ensure_initialized();
  clear_error();
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0 && path.rfind("NETCDF:", 0) != 0 && path.rfind("HDF5:", 0) != 0 &&
      path.rfind("/vsi", 0) != 0)
    throw_input(what + ": file not found: " + path +
                " (check the path; relative paths are relative to the job file)");
  // GDAL 3.6 has no driver for native Geosoft grids: decode them into a MEM dataset.
  if (looks_like_geosoft_grd(path)) {
    try {
      return geosoft_to_mem_dataset(read_geosoft_grd(path));
    } catch (const Error& e) {
      throw Error(e.kind(), what + ": " + e.what());
    }
  }
  GDALDatasetH h = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!h) {
    std::string e = last_error();
    throw_input(what + ": cannot open " + path + " as a raster" + (e.empty() ? "" : ": " + e) +
                " (is it a raster format GDAL reads, and is it complete?)");
  }
  Dataset ds(h);
  if (GDALGetRasterCount(h) < 1) throw_input(what + ": " + path + " has no raster band");
  // An uncompressed GeoTIFF cannot hold more pixels than it has bytes: refuse bogus headers (e.g. a 401-byte
  // file declaring 65535 x 65535 cells) before any block is read or allocated.
  const char* drv = GDALGetDriverShortName(GDALGetDatasetDriver(h));
  const char* comp = GDALGetMetadataItem(h, "COMPRESSION", "IMAGE_STRUCTURE");
  if (drv && std::string(drv) == "GTiff" && !comp && VSIStatL(path.c_str(), &st) == 0) {
    const double bytes = static_cast<double>(GDALGetRasterXSize(h)) *
                         static_cast<double>(GDALGetRasterYSize(h)) * GDALGetRasterCount(h) *
                         GDALGetDataTypeSizeBytes(GDALGetRasterDataType(GDALGetRasterBand(h, 1)));
    if (bytes > 16.0 * static_cast<double>(st.st_size) + 1048576.0) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "declares %d x %d cells (%.3g GiB of pixels to read) but the file holds only %lld bytes",
                    GDALGetRasterXSize(h), GDALGetRasterYSize(h), bytes / 1073741824.0,
                    static_cast<long long>(st.st_size));
      throw_input(what + ": " + path + " " + buf + ": the header is corrupt or the file is truncated");
    }
  }
  return ds;
}

void read_band_f32(GDALDatasetH ds, int band, std::vector<float>& out, const std::string& what) {
  GDALRasterBandH b = GDALGetRasterBand(ds, band);
  if (!b) throw_input(what + ": band " + std::to_string(band) + " does not exist");
  const std::int64_t nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
  out.resize(static_cast<size_t>(nx * ny));
  clear_error();
  if (GDALRasterIO(b, GF_Read, 0, 0, static_cast<int>(nx), static_cast<int>(ny), out.data(),
                   static_cast<int>(nx), static_cast<int>(ny), GDT_Float32, 0, 0) != CE_None)
    throw_input(what + ": read failed: " + last_error() + " (the file is probably truncated or corrupt)");
  int has_nd = 0;
  const double nd = GDALGetRasterNoDataValue(b, &has_nd);
  const float ndf = static_cast<float>(nd);
  const bool nd_nan = has_nd && std::isnan(nd);
  for (auto& v : out) {
    if (!std::isfinite(v) || (has_nd && !nd_nan && v == ndf)) v = NAN;
  }
}

void write_geotiff_f32(const std::string& path, const std::array<double, 6>& gt, const std::string& wkt,
                       const float* data, std::int64_t nx, std::int64_t ny) {
  ensure_initialized();
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  const std::string tmp = path + ".tmp";
  const char* opts[] = {"TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=IF_SAFER", nullptr};
  clear_error();
  Dataset ds(GDALCreate(drv, tmp.c_str(), static_cast<int>(nx), static_cast<int>(ny), 1, GDT_Float32,
                        const_cast<char**>(opts)));
  if (!ds) throw_runtime("cannot create " + tmp + ": " + last_error() + " (is the folder writable?)");
  double g[6] = {gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]};
  GDALSetGeoTransform(ds.get(), g);
  if (!wkt.empty()) GDALSetProjection(ds.get(), wkt.c_str());
  GDALRasterBandH b = GDALGetRasterBand(ds.get(), 1);
  GDALSetRasterNoDataValue(b, NAN);
  if (GDALRasterIO(b, GF_Write, 0, 0, static_cast<int>(nx), static_cast<int>(ny), const_cast<float*>(data),
                   static_cast<int>(nx), static_cast<int>(ny), GDT_Float32, 0, 0) != CE_None)
    throw_runtime("cannot write " + tmp + ": " + last_error());
  ds.close_checked(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw_runtime("cannot rename " + tmp + " to " + path);
}

Dataset open_vector(const std::string& path, const std::string& what) {
  ensure_initialized();
  clear_error();
  GDALDatasetH h = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!h)
    throw_input(what + ": cannot open " + path +
                " as a vector dataset (GeoPackage, shapefile, GeoJSON, ...): " +
                (last_error().empty() ? std::string("no OGR driver recognises it") : last_error()));
  return Dataset(h);
}

Feature::~Feature() {
  if (h_) OGR_F_Destroy(h_);
}

Feature& Feature::operator=(Feature&& o) noexcept {
  if (this != &o) {
    if (h_) OGR_F_Destroy(h_);
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}

Geometry::~Geometry() {
  if (h_) OGR_G_DestroyGeometry(h_);
}

Geometry& Geometry::operator=(Geometry&& o) noexcept {
  if (this != &o) {
    if (h_) OGR_G_DestroyGeometry(h_);
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}

Transform::Transform(const SpatialRef& from, const SpatialRef& to, const std::string& what) {
  clear_error();
  h_ = OCTNewCoordinateTransformation(from.get(), to.get());
  if (!h_) throw_input(what + ": no coordinate transformation to the grid CRS: " + last_error());
}

Transform::~Transform() {
  if (h_) OCTDestroyCoordinateTransformation(h_);
}

} // namespace prospector::gdal
