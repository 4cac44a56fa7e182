#include "pipeline/io/gpkg_writer.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>

#include <array>
#include <cstdio>
#include <memory>

namespace prospector {

namespace {

struct FeatureDeleter {
  void operator()(OGRFeatureH f) const noexcept { OGR_F_Destroy(f); }
};
struct GeometryDeleter {
  void operator()(OGRGeometryH g) const noexcept { OGR_G_DestroyGeometry(g); }
};
struct FieldDefnDeleter {
  void operator()(OGRFieldDefnH d) const noexcept { OGR_Fld_Destroy(d); }
};
using FeaturePtr = std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDeleter>;
using GeometryPtr = std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, GeometryDeleter>;
using FieldDefnPtr = std::unique_ptr<std::remove_pointer_t<OGRFieldDefnH>, FieldDefnDeleter>;

/// Rolls back an open transaction unless committed (e.g. when a feature fails); never throws.
class Transaction {
public:
  Transaction(GDALDatasetH ds, const std::string& where) : ds_(ds) {
    gdal::clear_error();
    if (GDALDatasetStartTransaction(ds_, FALSE) != OGRERR_NONE)
      throw_runtime(where + ": cannot start a transaction: " + gdal::last_error());
    open_ = true;
  }
  ~Transaction() {
    if (open_) GDALDatasetRollbackTransaction(ds_);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit(const std::string& where) {
    open_ = false;
    if (GDALDatasetCommitTransaction(ds_) != OGRERR_NONE)
      throw_runtime(where + ": cannot commit: " + gdal::last_error() + " (check free disk space)");
  }

private:
  GDALDatasetH ds_;
  bool open_ = false;
};

void add_field(OGRLayerH layer, const char* name, OGRFieldType type, const std::string& where) {
  FieldDefnPtr fd(OGR_Fld_Create(name, type));
  if (OGR_L_CreateField(layer, fd.get(), TRUE) != OGRERR_NONE)
    throw_runtime(where + ": cannot create field '" + name + "': " + gdal::last_error());
}

OGRLayerH create_layer(GDALDatasetH ds, const std::string& name, OGRSpatialReferenceH srs,
                       OGRwkbGeometryType type, const std::string& where) {
  const char* opts[] = {"GEOMETRY_NAME=geom", "FID=fid", "SPATIAL_INDEX=YES", nullptr};
  gdal::clear_error();
  OGRLayerH layer = GDALDatasetCreateLayer(ds, name.c_str(), srs, type, const_cast<char**>(opts));
  if (!layer) throw_runtime(where + ": cannot create layer '" + name + "': " + gdal::last_error());
  const std::string w = where + " layer " + name;
  add_field(layer, "rank", OFTInteger, w);
  add_field(layer, "commodity", OFTString, w);
  add_field(layer, "peak_score", OFTReal, w);
  add_field(layer, "mean_score", OFTReal, w);
  add_field(layer, "area_m2", OFTReal, w);
  add_field(layer, "cells", OFTInteger64, w);
  add_field(layer, "centroid_x", OFTReal, w);
  add_field(layer, "centroid_y", OFTReal, w);
  add_field(layer, "rep_x", OFTReal, w);
  add_field(layer, "rep_y", OFTReal, w);
  add_field(layer, "xmin", OFTReal, w);
  add_field(layer, "ymin", OFTReal, w);
  add_field(layer, "xmax", OFTReal, w);
  add_field(layer, "ymax", OFTReal, w);
  add_field(layer, "evidence", OFTString, w);
  return layer;
}

void set_fields(OGRFeatureH f, const std::string& commodity, const Target& t) {
  OGR_F_SetFieldInteger(f, OGR_F_GetFieldIndex(f, "rank"), t.rank);
  OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "commodity"), commodity.c_str());
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "peak_score"), t.peak_score);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "mean_score"), t.mean_score);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "area_m2"), t.area);
  OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, "cells"), static_cast<GIntBig>(t.cells));
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "centroid_x"), t.centroid_x);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "centroid_y"), t.centroid_y);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "rep_x"), t.rep_x);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "rep_y"), t.rep_y);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "xmin"), t.xmin);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "ymin"), t.ymin);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "xmax"), t.xmax);
  OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, "ymax"), t.ymax);
  OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, "evidence"), t.evidence.c_str());
}

GeometryPtr multipolygon(const Target& t) {
  GeometryPtr mp(OGR_G_CreateGeometry(wkbMultiPolygon));
  for (const Polygon& pg : t.polygons) {
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    for (const Ring& ring : pg) {
      if (ring.empty()) continue;
      OGRGeometryH lr = OGR_G_CreateGeometry(wkbLinearRing);
      for (const auto& p : ring)
        OGR_G_AddPoint_2D(lr, p[0], p[1]);
      OGR_G_AddGeometryDirectly(poly, lr);
    }
    OGR_G_CloseRings(poly);
    OGR_G_AddGeometryDirectly(mp.get(), poly);
  }
  return mp;
}

void write_feature(OGRLayerH layer, FeaturePtr& f, const std::string& where) {
  if (OGR_L_CreateFeature(layer, f.get()) != OGRERR_NONE)
    throw_runtime(where + ": cannot write a feature: " + gdal::last_error());
}

template <class Where>
void write_points(GDALDatasetH ds, const std::string& name, OGRSpatialReferenceH srs,
                  const CommodityTargets& ct, const std::string& tmp, Where where) {
  OGRLayerH points = create_layer(ds, name, srs, wkbPoint, tmp);
  Transaction tr(ds, tmp + " layer " + name);
  for (const Target& t : ct.targets) {
    FeaturePtr f(OGR_F_Create(OGR_L_GetLayerDefn(points)));
    set_fields(f.get(), ct.commodity, t);
    GeometryPtr g(OGR_G_CreateGeometry(wkbPoint));
    const std::array<double, 2> p = where(t);
    OGR_G_SetPoint_2D(g.get(), 0, p[0], p[1]);
    OGR_F_SetGeometryDirectly(f.get(), g.release());
    write_feature(points, f, tmp + " layer " + name);
  }
  tr.commit(tmp + " layer " + name);
}

} // namespace

void write_targets_gpkg(const std::string& path, const GridSpec& grid,
                        const std::vector<CommodityTargets>& all) {
  gdal::ensure_initialized();
  const std::string tmp = path + ".tmp.gpkg";
  GDALDriverH drv = GDALGetDriverByName("GPKG");
  if (!drv) throw_runtime(path + ": GDAL has no GPKG driver");

  std::unique_ptr<gdal::SpatialRef> srs;
  if (!grid.crs_wkt.empty())
    srs = std::make_unique<gdal::SpatialRef>(
        gdal::SpatialRef::from_user_input(grid.crs_wkt, path, ErrorKind::Runtime));
  else if (grid.epsg > 0)
    srs = std::make_unique<gdal::SpatialRef>(
        gdal::SpatialRef::from_user_input("EPSG:" + std::to_string(grid.epsg), path, ErrorKind::Runtime));
  const OGRSpatialReferenceH hsrs = srs ? srs->get() : nullptr;

  // A leftover from an interrupted run would make GDALCreate fail.
  VSIUnlink(tmp.c_str());
  gdal::clear_error();
  gdal::Dataset ds(GDALCreate(drv, tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds)
    throw_runtime("cannot create " + tmp + ": " + gdal::last_error() + " (is the output folder writable?)");

  try {
    for (const CommodityTargets& ct : all) {
      const std::string poly_name = "targets_" + ct.commodity, pt_name = "target_points_" + ct.commodity;
      OGRLayerH polys = create_layer(ds.get(), poly_name, hsrs, wkbMultiPolygon, tmp);
      {
        Transaction tr(ds.get(), tmp + " layer " + poly_name);
        for (const Target& t : ct.targets) {
          FeaturePtr f(OGR_F_Create(OGR_L_GetLayerDefn(polys)));
          set_fields(f.get(), ct.commodity, t);
          GeometryPtr g = multipolygon(t);
          OGR_F_SetGeometryDirectly(f.get(), g.release());
          write_feature(polys, f, tmp + " layer " + poly_name);
        }
        tr.commit(tmp + " layer " + poly_name);
      }
      // Centroids, and points inside the polygons (a centroid can fall outside a U-shaped target).
      write_points(ds.get(), pt_name, hsrs, ct, tmp, [](const Target& t) {
        return std::array<double, 2>{t.centroid_x, t.centroid_y};
      });
      write_points(ds.get(), "target_rep_points_" + ct.commodity, hsrs, ct, tmp, [](const Target& t) {
        return std::array<double, 2>{t.rep_x, t.rep_y};
      });
    }
    ds.close_checked(tmp);
  } catch (...) {
    ds = gdal::Dataset();
    VSIUnlink(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    VSIUnlink(tmp.c_str());
    throw_runtime("cannot rename " + tmp + " to " + path + " (is the output folder writable?)");
  }
}

} // namespace prospector
