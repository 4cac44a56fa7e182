#include "pipeline/io/vector_ingest.hpp"

#include "kernels/distance/distance.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/ingest.hpp"
#include "pipeline/io/ingest_detail.hpp"

#include <cpl_conv.h>

#include <gdal_alg.h>
#include <gdal_rat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace prospector {

namespace {

std::string where(const InputSpec& in) { return detail::input_where(in); }

// An opened vector layer with the input's attribute filter applied.
struct OpenLayer {
  gdal::Dataset ds;
  OGRLayerH layer = nullptr;
  std::string name; // for messages: "layer 'faults'"
};

bool type_fits(const std::string& kind, OGRwkbGeometryType t) {
  t = wkbFlatten(t);
  if (kind == "geology")
    return t == wkbPolygon || t == wkbMultiPolygon || t == wkbCurvePolygon || t == wkbMultiSurface;
  if (kind == "structures")
    return t == wkbLineString || t == wkbMultiLineString || t == wkbCompoundCurve || t == wkbMultiCurve ||
           t == wkbCircularString;
  return t == wkbPoint || t == wkbMultiPoint;
}

const char* expected_type(const std::string& kind) {
  return kind == "geology" ? "polygons" : kind == "structures" ? "lines" : "points";
}

OpenLayer open_layer(const InputSpec& in) {
  OpenLayer o;
  o.ds = gdal::open_vector(in.path, where(in));
  const int n = GDALDatasetGetLayerCount(o.ds.get());
  if (n == 0) throw_input(where(in) + ": the dataset has no vector layer");
  if (in.layer.empty()) {
    o.layer = GDALDatasetGetLayer(o.ds.get(), 0);
  } else {
    o.layer = GDALDatasetGetLayerByName(o.ds.get(), in.layer.c_str());
    if (!o.layer) {
      std::vector<std::string> names;
      for (int i = 0; i < n; ++i)
        names.push_back(OGR_L_GetName(GDALDatasetGetLayer(o.ds.get(), i)));
      throw_input(where(in) + ": key 'layer': no layer '" + in.layer + "' (its layers: " + join(names) + ")");
    }
  }
  o.name = "layer '" + std::string(OGR_L_GetName(o.layer)) + "'";
  const OGRwkbGeometryType declared = OGR_L_GetGeomType(o.layer);
  if (wkbFlatten(declared) != wkbUnknown && wkbFlatten(declared) != wkbNone && !type_fits(in.kind, declared))
    throw_input(where(in) + ": " + o.name + " holds " + OGRGeometryTypeToName(declared) +
                " geometries, but " + in.kind + " inputs take " + expected_type(in.kind) +
                "; give a layer of " + expected_type(in.kind) + " or change the input's kind");
  if (!in.where.empty()) {
    gdal::clear_error();
    if (OGR_L_SetAttributeFilter(o.layer, in.where.c_str()) != OGRERR_NONE)
      throw_input(where(in) + ": key 'where': OGR cannot apply the filter \"" + in.where + "\" to " + o.name +
                  ": " + gdal::last_error() + " (write an OGR SQL WHERE clause over its attributes)");
  }
  OGR_L_ResetReading(o.layer);
  return o;
}

// Error naming the feature when its geometry is not of the kind's type (polygons, lines, points).
void check_type(const InputSpec& in, const OpenLayer& o, OGRFeatureH f) {
  OGRGeometryH g = OGR_F_GetGeometryRef(f);
  if (!g || OGR_G_IsEmpty(g) || type_fits(in.kind, OGR_G_GetGeometryType(g))) return;
  throw_input(where(in) + ": " + o.name + " feature " + std::to_string(OGR_F_GetFID(f)) + " is a " +
              OGR_G_GetGeometryName(g) + ", but " + in.kind + " inputs take " + expected_type(in.kind) +
              "; give a layer of " + expected_type(in.kind) + " (or filter it with key 'where')");
}

int attribute_index(const InputSpec& in, const OpenLayer& o) {
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(o.layer);
  const int i = OGR_FD_GetFieldIndex(defn, in.attribute.c_str());
  if (i >= 0) return i;
  std::vector<std::string> fields;
  for (int k = 0; k < OGR_FD_GetFieldCount(defn); ++k)
    fields.push_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k)));
  throw_input(where(in) + ": key 'attribute': " + o.name + " has no attribute '" + in.attribute +
              "' (its attributes: " + (fields.empty() ? std::string("none") : join(fields)) + ")");
}

std::string no_features(const InputSpec& in, const OpenLayer& o) {
  return where(in) + ": " + o.name + " has no feature" +
         (in.where.empty() ? std::string() : " matching key 'where' (\"" + in.where + "\")") +
         "; give a layer with features, or remove the input";
}

// The features' value of `attribute`, trimmed ("" when unset).
std::string unit_of(OGRFeatureH f, int field) {
  if (!OGR_F_IsFieldSetAndNotNull(f, field)) return "";
  return trim(OGR_F_GetFieldAsString(f, field));
}

// A padded copy of the grid, and the window of the grid in it.
struct Padded {
  GridSpec g;
  std::int64_t pad = 0;
};

Padded padded(const GridSpec& grid, double reach) {
  Padded p;
  p.pad = static_cast<std::int64_t>(std::ceil(reach / grid.cell)) + 1;
  p.g = grid;
  p.g.x0 = grid.x0 - static_cast<double>(p.pad) * grid.cell;
  p.g.y0 = grid.y0 + static_cast<double>(p.pad) * grid.cell;
  p.g.nx = grid.nx + 2 * p.pad;
  p.g.ny = grid.ny + 2 * p.pad;
  return p;
}

template <class T> std::vector<float> crop(const std::vector<T>& v, const Padded& p, const GridSpec& grid) {
  std::vector<float> out(static_cast<size_t>(grid.size()));
  for (std::int64_t r = 0; r < grid.ny; ++r)
    for (std::int64_t c = 0; c < grid.nx; ++c)
      out[static_cast<size_t>(r * grid.nx + c)] =
          static_cast<float>(v[static_cast<size_t>((r + p.pad) * p.g.nx + c + p.pad)]);
  return out;
}

// Distance to the nearest set cell of `mask` (padded grid), cropped, with larger distances (and no feature
// at all) written as `limit`.
std::vector<float> distance_layer(const std::vector<std::uint8_t>& mask, const Padded& p,
                                  const GridSpec& grid, double limit, const std::string& what) {
  std::vector<float> d(mask.size());
  const kernels::Status st = kernels::euclidean_distance(mask.data(), p.g.nx, p.g.ny, {grid.cell}, d.data());
  if (!st.ok) throw_runtime(what + ": " + st.message);
  std::vector<float> out = crop(d, p, grid);
  const auto lim = static_cast<float>(limit);
  for (auto& v : out)
    if (std::isnan(v) || v > lim) v = lim;
  return out;
}

std::vector<float> density_layer(const std::vector<double>& per_cell, const Padded& p, const GridSpec& grid,
                                 double radius, const std::string& what) {
  std::vector<float> d(per_cell.size());
  const kernels::Status st =
      kernels::circular_density(per_cell.data(), p.g.nx, p.g.ny, {grid.cell, radius}, d.data());
  if (!st.ok) throw_runtime(what + ": " + st.message);
  return crop(d, p, grid);
}

// Adds the segments of a (multi)line to the coordinate arrays.
void add_segments(OGRGeometryH g, std::vector<double>& ax, std::vector<double>& ay, std::vector<double>& bx,
                  std::vector<double>& by) {
  const int parts = OGR_G_GetGeometryCount(g);
  if (parts > 0) {
    for (int k = 0; k < parts; ++k)
      add_segments(OGR_G_GetGeometryRef(g, k), ax, ay, bx, by);
    return;
  }
  const int n = OGR_G_GetPointCount(g);
  for (int i = 0; i + 1 < n; ++i) {
    ax.push_back(OGR_G_GetX(g, i));
    ay.push_back(OGR_G_GetY(g, i));
    bx.push_back(OGR_G_GetX(g, i + 1));
    by.push_back(OGR_G_GetY(g, i + 1));
  }
}

void add_points(OGRGeometryH g, std::vector<double>& x, std::vector<double>& y) {
  const int parts = OGR_G_GetGeometryCount(g);
  if (parts > 0) {
    for (int k = 0; k < parts; ++k)
      add_points(OGR_G_GetGeometryRef(g, k), x, y);
    return;
  }
  if (OGR_G_GetPointCount(g) > 0) {
    x.push_back(OGR_G_GetX(g, 0));
    y.push_back(OGR_G_GetY(g, 0));
  }
}

gdal::SpatialRef layer_srs(const InputSpec& in, const OpenLayer& o) {
  if (!in.crs.empty())
    return gdal::SpatialRef::from_user_input(in.crs, where(in) + ": key 'crs'", ErrorKind::Usage);
  OGRSpatialReferenceH s = OGR_L_GetSpatialRef(o.layer);
  if (!s)
    throw_input(where(in) + ": " + o.name +
                " has no coordinate reference system; set \"crs\" on this input (e.g. \"EPSG:32633\")");
  char* wkt = nullptr;
  OSRExportToWkt(s, &wkt);
  std::string text = wkt ? wkt : "";
  CPLFree(wkt);
  return gdal::SpatialRef::from_user_input(text, where(in), ErrorKind::InputData);
}

// Burns burn[i] into the cells of `g` whose centre lies inside polygons[i] (GDAL's default; later polygons
// overwrite earlier ones), 0 elsewhere. `what` names the input and its layer in errors.
std::vector<std::int32_t> rasterize(const std::vector<gdal::Geometry>& polygons,
                                    const std::vector<double>& burn, const GridSpec& g,
                                    const std::string& what) {
  GDALDriverH mem = GDALGetDriverByName("MEM");
  gdal::Dataset ds(
      GDALCreate(mem, "", static_cast<int>(g.nx), static_cast<int>(g.ny), 1, GDT_Int32, nullptr));
  if (!ds) throw_runtime(what + ": cannot allocate the rasterization buffer: " + gdal::last_error());
  auto gt = g.geotransform();
  GDALSetGeoTransform(ds.get(), gt.data());
  GDALSetProjection(ds.get(), g.crs_wkt.c_str());
  std::vector<OGRGeometryH> geoms;
  for (const auto& p : polygons)
    geoms.push_back(p.get());
  int band = 1;
  gdal::clear_error();
  if (GDALRasterizeGeometries(ds.get(), 1, &band, static_cast<int>(geoms.size()), geoms.data(), nullptr,
                              nullptr, burn.data(), nullptr, nullptr, nullptr) != CE_None)
    throw_runtime(what + ": rasterizing failed: " + gdal::last_error());
  std::vector<std::int32_t> out(static_cast<size_t>(g.size()));
  if (GDALRasterIO(GDALGetRasterBand(ds.get(), 1), GF_Read, 0, 0, static_cast<int>(g.nx),
                   static_cast<int>(g.ny), out.data(), static_cast<int>(g.nx), static_cast<int>(g.ny),
                   GDT_Int32, 0, 0) != CE_None)
    throw_runtime(what + ": reading the rasterized polygons failed: " + gdal::last_error());
  return out;
}

} // namespace

ClassTable input_classes(const InputSpec& in) {
  if (in.kind == "categorical_raster")
    return in.class_file.empty() ? detail::classes_from_rat(in) : detail::classes_from_csv(in);
  OpenLayer o = open_layer(in);
  if (OGR_L_GetFeatureCount(o.layer, 1) == 0) throw_input(no_features(in, o)); // before its (absent) fields
  const int field = attribute_index(in, o);
  std::set<std::string> units;
  std::int64_t features = 0;
  for (gdal::Feature f(OGR_L_GetNextFeature(o.layer)); f; f = gdal::Feature(OGR_L_GetNextFeature(o.layer))) {
    ++features;
    check_type(in, o, f.get());
    const std::string u = unit_of(f.get(), field);
    if (!u.empty()) units.insert(u);
  }
  if (features == 0) throw_input(no_features(in, o));
  if (units.empty())
    throw_input(where(in) + ": key 'attribute': no feature of " + o.name + " has a value of '" +
                in.attribute + "'");
  if (static_cast<std::int64_t>(units.size()) > kMaxClassCode)
    throw_input(where(in) + ": key 'attribute': '" + in.attribute + "' has more than " +
                std::to_string(kMaxClassCode) + " distinct values; is it a unit name?");
  ClassTable t;
  t.names.push_back("");
  t.names.insert(t.names.end(), units.begin(), units.end());
  return t;
}

double vector_max_distance(const InputSpec& in, const GridSpec& grid) {
  return in.max_distance > 0 ? in.max_distance : 256.0 * grid.cell;
}

double vector_density_radius(const InputSpec& in, const GridSpec& grid) {
  return in.density_radius > 0 ? in.density_radius : 10.0 * grid.cell;
}

VectorLayers prepare_vector(const InputSpec& in, const GridSpec& grid, const ClassTable& classes) {
  OpenLayer o = open_layer(in);
  if (OGR_L_GetFeatureCount(o.layer, 1) == 0) throw_input(no_features(in, o));
  const int field = in.kind == "geology" ? attribute_index(in, o) : -1;
  gdal::SpatialRef src = layer_srs(in, o);
  gdal::SpatialRef dst = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  gdal::Transform ct(src, dst, where(in));

  const double limit = vector_max_distance(in, grid);
  const double radius = in.kind == "geology" ? 0.0 : vector_density_radius(in, grid);
  const Padded p = padded(grid, std::max(limit, radius));
  std::vector<gdal::Geometry> polygons;
  std::vector<double> burn, ax, ay, bx, by, px, py;
  std::vector<std::int64_t> owner; // feature of each structure segment (intersections pair different ones)
  std::int64_t features = 0, empty = 0, invalid = 0, no_unit = 0;
  for (gdal::Feature f(OGR_L_GetNextFeature(o.layer)); f; f = gdal::Feature(OGR_L_GetNextFeature(o.layer))) {
    ++features;
    OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
    if (!g || OGR_G_IsEmpty(g)) {
      ++empty;
      continue;
    }
    check_type(in, o, f.get());
    if (!OGR_G_IsValid(g)) {
      if (in.invalid_geometries == "error")
        throw_input(
            where(in) + ": " + o.name + " feature " + std::to_string(OGR_F_GetFID(f.get())) +
            " has an invalid geometry (e.g. a self-intersecting ring); repair it (ogr2ogr -makevalid) "
            "or set invalid_geometries to skip");
      ++invalid;
      continue;
    }
    std::int64_t code = 0;
    if (field >= 0) {
      code = classes.code(unit_of(f.get(), field));
      if (code < 0) {
        ++no_unit;
        continue;
      }
    }
    gdal::Geometry c(OGR_G_Clone(g));
    gdal::clear_error();
    if (OGR_G_Transform(c.get(), ct.get()) != OGRERR_NONE)
      throw_input(where(in) + ": " + o.name + " feature " + std::to_string(OGR_F_GetFID(f.get())) +
                  " cannot be transformed to the grid CRS: " + gdal::last_error() +
                  " (is the layer's CRS right?)");
    if (in.kind == "geology") {
      burn.push_back(static_cast<double>(code));
      polygons.push_back(std::move(c));
    } else if (in.kind == "structures") {
      add_segments(c.get(), ax, ay, bx, by);
      owner.resize(ax.size(), features);
    } else {
      add_points(c.get(), px, py);
    }
  }
  if (features == 0) throw_input(no_features(in, o));
  const std::int64_t used = features - empty - invalid - no_unit;
  if (used == 0)
    throw_input(where(in) + ": " + o.name + ": none of its " + std::to_string(features) +
                " features is usable (" + std::to_string(empty) + " without geometry, " +
                std::to_string(invalid) + " invalid, " + std::to_string(no_unit) + " without a unit)");
  VectorLayers out;
  std::string counts = in.id + ": " + std::to_string(used) + " of " + std::to_string(features) +
                       " features of " + o.name + " used";
  if (empty) counts += ", " + std::to_string(empty) + " without geometry skipped";
  if (invalid) counts += ", " + std::to_string(invalid) + " with invalid geometries skipped (warning)";
  if (no_unit)
    counts += ", " + std::to_string(no_unit) + " without a value of '" + in.attribute + "' skipped";
  out.log.push_back(counts);

  const auto n = static_cast<size_t>(p.g.size());
  if (in.kind == "geology") {
    const std::vector<std::int32_t> codes = rasterize(polygons, burn, p.g, where(in) + " " + o.name);
    std::vector<float> unit = crop(codes, p, grid);
    std::int64_t covered = 0;
    for (auto& v : unit) {
      if (v == 0)
        v = NAN;
      else
        ++covered;
    }
    if (covered == 0)
      throw_input(where(in) + ": no polygon of " + o.name +
                  " covers a cell centre of the analysis grid; check "
                  "its CRS and grid.extent");
    out.log.push_back(in.id + ": units " + classes.describe() + "; " + std::to_string(covered) + " of " +
                      std::to_string(grid.size()) + " cells inside a polygon");
    out.grids.push_back(std::move(unit));
    for (const auto& u : in.contact_units) {
      const std::int64_t k = classes.code(u);
      if (k < 0)
        throw_input(where(in) + ": key 'contact_units': no unit '" + u + "' in attribute '" + in.attribute +
                    "' (its units: " + classes.describe() + ")");
      std::vector<std::uint8_t> inside(n), outside(n);
      for (size_t i = 0; i < n; ++i) {
        inside[i] = codes[i] == k ? 1 : 0;
        outside[i] = 1 - inside[i];
      }
      const std::vector<float> to_unit = distance_layer(inside, p, grid, limit, where(in));
      const std::vector<float> to_rest = distance_layer(outside, p, grid, limit, where(in));
      std::vector<float> contact(to_unit.size());
      for (size_t i = 0; i < contact.size(); ++i)
        contact[i] = to_unit[i] == 0.0f ? to_rest[i] : to_unit[i];
      out.grids.push_back(std::move(contact));
    }
    return out;
  }
  kernels::SegmentGrid sg{p.g.x0, p.g.y0, p.g.cell, p.g.nx, p.g.ny};
  std::vector<double> per_cell(n, 0.0);
  const kernels::Status st =
      in.kind == "structures"
          ? kernels::segment_lengths(ax.data(), ay.data(), bx.data(), by.data(),
                                     static_cast<std::int64_t>(ax.size()), sg, per_cell.data())
          : kernels::point_counts(px.data(), py.data(), static_cast<std::int64_t>(px.size()), sg,
                                  per_cell.data());
  if (!st.ok) throw_input(where(in) + ": " + o.name + ": " + st.message);
  std::vector<std::uint8_t> mask(n);
  for (size_t i = 0; i < n; ++i)
    mask[i] = per_cell[i] > 0 ? 1 : 0;
  out.grids.push_back(distance_layer(mask, p, grid, limit, where(in)));
  out.grids.push_back(density_layer(per_cell, p, grid, radius, where(in)));
  if (in.kind == "structures") {
    // Intersections and junctions of two lines: a line ending within half a cell of another meets it.
    std::vector<double> ix, iy;
    const kernels::Status si = kernels::segment_intersections(
        ax.data(), ay.data(), bx.data(), by.data(), owner.data(), static_cast<std::int64_t>(ax.size()),
        {0.5 * grid.cell, 8.0 * grid.cell}, ix, iy);
    if (!si.ok) throw_input(where(in) + ": " + o.name + ": " + si.message);
    std::vector<double> hits(n, 0.0);
    const kernels::Status pc =
        kernels::point_counts(ix.data(), iy.data(), static_cast<std::int64_t>(ix.size()), sg, hits.data());
    if (!pc.ok) throw_input(where(in) + ": " + o.name + ": " + pc.message);
    std::vector<std::uint8_t> at(n);
    for (size_t i = 0; i < n; ++i)
      at[i] = hits[i] > 0 ? 1 : 0;
    out.grids.push_back(distance_layer(at, p, grid, limit, where(in)));
    out.log.push_back(in.id + ": " + std::to_string(ix.size()) +
                      " intersection(s) or junction(s) of two lines");
  }
  return out;
}

std::vector<std::uint8_t> polygon_mask(const std::string& path, const std::string& layer,
                                       const GridSpec& grid, const std::string& key) {
  InputSpec in; // the polygon rules of a geology input, reported under the job key
  in.id = key;
  in.kind = "geology";
  in.path = path;
  in.layer = layer;
  OpenLayer o = open_layer(in);
  gdal::SpatialRef src = layer_srs(in, o);
  gdal::SpatialRef dst = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  gdal::Transform ct(src, dst, where(in));
  std::vector<gdal::Geometry> polygons;
  for (gdal::Feature f(OGR_L_GetNextFeature(o.layer)); f; f = gdal::Feature(OGR_L_GetNextFeature(o.layer))) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
    if (!g || OGR_G_IsEmpty(g)) continue;
    check_type(in, o, f.get());
    gdal::Geometry c(OGR_G_Clone(g));
    gdal::clear_error();
    if (OGR_G_Transform(c.get(), ct.get()) != OGRERR_NONE)
      throw_input(where(in) + ": " + o.name + " feature " + std::to_string(OGR_F_GetFID(f.get())) +
                  " cannot be transformed to the grid CRS: " + gdal::last_error() +
                  " (is the layer's CRS right?)");
    polygons.push_back(std::move(c));
  }
  if (polygons.empty()) throw_input(where(in) + ": " + o.name + " has no polygon");
  const std::vector<std::int32_t> burnt =
      rasterize(polygons, std::vector<double>(polygons.size(), 1.0), grid, where(in) + " " + o.name);
  const std::vector<std::uint8_t> out(burnt.begin(), burnt.end());
  if (std::find(out.begin(), out.end(), std::uint8_t{1}) == out.end())
    throw_input(where(in) + ": no cell centre of the analysis grid lies inside the polygons of " + o.name +
                "; check the layer's CRS and extent");
  return out;
}

std::string describe_vector_input(const InputSpec& in) {
  gdal::Dataset ds = gdal::open_vector(in.path, where(in));
  OGRLayerH l = in.layer.empty() ? GDALDatasetGetLayer(ds.get(), 0)
                                 : GDALDatasetGetLayerByName(ds.get(), in.layer.c_str());
  if (!l) throw_input(where(in) + ": key 'layer': no layer '" + in.layer + "'");
  return in.id + ": " + in.kind + " layer '" + OGR_L_GetName(l) + "' (" +
         GDALGetDriverShortName(GDALGetDatasetDriver(ds.get())) + ", " +
         std::to_string(OGR_L_GetFeatureCount(l, 1)) + " features)";
}

} // namespace prospector
