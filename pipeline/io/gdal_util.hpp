#pragma once
/// \file gdal_util.hpp
/// Checked helpers and RAII handles around the GDAL/OGR C API. Destructors never throw.

#include "pipeline/base/errors.hpp"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <array>
#include <string>
#include <vector>

namespace prospector::gdal {

/// Registers GDAL drivers once per process (thread-safe) and installs an error handler that records the
/// last CPLError message for the calling thread, so that failures can be reported with GDAL's own text.
void ensure_initialized();

/// Last GDAL error message recorded on this thread ("" when none); cleared by clear_error().
std::string last_error();
void clear_error();

/// Owning GDALDatasetH. One handle per thread: never share across threads.
class Dataset {
public:
  Dataset() = default;
  explicit Dataset(GDALDatasetH h) : h_(h) {}
  ~Dataset();
  Dataset(Dataset&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Dataset& operator=(Dataset&& o) noexcept;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
  GDALDatasetH get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  /// Closes now; throws Error(Runtime) if GDAL reports a failure while flushing (e.g. disk full).
  void close_checked(const std::string& what);

private:
  GDALDatasetH h_ = nullptr;
};

/// Owning OGRSpatialReferenceH with traditional GIS axis order (x = easting/longitude).
class SpatialRef {
public:
  SpatialRef();
  ~SpatialRef();
  SpatialRef(SpatialRef&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  SpatialRef(const SpatialRef&) = delete;
  SpatialRef& operator=(const SpatialRef&) = delete;
  OGRSpatialReferenceH get() const { return h_; }
  /// Parses "EPSG:n", WKT, PROJ strings and anything OSRSetFromUserInput takes; throws Error(kind) naming
  /// `where` when the text is not a CRS.
  static SpatialRef from_user_input(const std::string& text, const std::string& where, ErrorKind kind);
  /// Copies the CRS of a dataset; empty (is_empty()) when it has none.
  static SpatialRef from_dataset(GDALDatasetH ds);
  bool is_empty() const;
  std::string to_wkt() const;  ///< WKT2_2018
  std::string to_wkt1() const; ///< WKT1 (GDAL flavour), for `spatial_ref` and PAM
  int epsg() const;            ///< authority code, or 0
  bool is_geographic() const;
  std::string linear_units() const; ///< "m", "degree", ...

private:
  OGRSpatialReferenceH h_ = nullptr;
};

/// Opens a raster read-only; throws Error(InputData) naming the file with GDAL's message.
Dataset open_raster(const std::string& path, const std::string& what);

/// The files a dataset is made of (GDALGetFileList: a VRT and its sources, an ERS header and its data, a
/// world file, an .aux.xml), regular files only, `main` first and without duplicates.
std::vector<std::string> file_list(GDALDatasetH ds, const std::string& main);

/// Reads band 1 of a dataset into a float buffer (resized), mapping the band's nodata and non-finite values
/// to NaN. Throws Error(InputData) on read failure.
void read_band_f32(GDALDatasetH ds, int band, std::vector<float>& out, const std::string& what);

/// Creates a single-band float32 GeoTIFF (tiled, deflate) with the given georeferencing and data
/// (NaN as nodata); written to `path + ".tmp"` and renamed. Throws Error(Runtime).
void write_geotiff_f32(const std::string& path, const std::array<double, 6>& gt, const std::string& wkt,
                       const float* data, std::int64_t nx, std::int64_t ny);

/// Opens a vector dataset read-only (any OGR driver); throws Error(InputData) naming `what` and the file with
/// GDAL's message.
Dataset open_vector(const std::string& path, const std::string& what);

/// Owning OGRFeatureH (from OGR_L_GetNextFeature).
class Feature {
public:
  explicit Feature(OGRFeatureH h = nullptr) : h_(h) {}
  ~Feature();
  Feature(Feature&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Feature& operator=(Feature&& o) noexcept;
  Feature(const Feature&) = delete;
  Feature& operator=(const Feature&) = delete;
  OGRFeatureH get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

private:
  OGRFeatureH h_ = nullptr;
};

/// Owning OGRGeometryH (a clone, or a geometry made by OGR).
class Geometry {
public:
  explicit Geometry(OGRGeometryH h = nullptr) : h_(h) {}
  ~Geometry();
  Geometry(Geometry&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Geometry& operator=(Geometry&& o) noexcept;
  Geometry(const Geometry&) = delete;
  Geometry& operator=(const Geometry&) = delete;
  OGRGeometryH get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

private:
  OGRGeometryH h_ = nullptr;
};

/// Owning OGRCoordinateTransformationH between two CRSs; throws Error(InputData) naming `what` when PROJ has
/// no transformation between them.
class Transform {
public:
  Transform(const SpatialRef& from, const SpatialRef& to, const std::string& what);
  ~Transform();
  Transform(const Transform&) = delete;
  Transform& operator=(const Transform&) = delete;
  OGRCoordinateTransformationH get() const { return h_; }

private:
  OGRCoordinateTransformationH h_ = nullptr;
};

} // namespace prospector::gdal
