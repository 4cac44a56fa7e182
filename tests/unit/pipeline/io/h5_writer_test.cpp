#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/gpkg_writer.hpp"
#include "pipeline/io/h5_reader.hpp"
#include "pipeline/io/h5_writer.hpp"

#include <catch2/catch.hpp>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace prospector;

namespace {

/// A fresh temporary folder, removed with its files at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/prospector_h5_XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

GridSpec test_grid() {
  GridSpec g;
  g.crs_wkt = gdal::SpatialRef::from_user_input("EPSG:28350", "test", ErrorKind::Usage).to_wkt();
  g.epsg = 28350;
  g.x0 = 400000.0;
  g.y0 = 6500000.0;
  g.cell = 100.0;
  g.nx = 6;
  g.ny = 5;
  return g;
}

Ring rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
}

CommodityTargets test_targets() {
  CommodityTargets ct;
  ct.commodity = "cu";
  ct.threshold = 0.8;
  ct.top_fraction = 0.02;
  Target a;
  a.rank = 1;
  a.peak_score = 0.95;
  a.mean_score = 0.9;
  a.cells = 8;
  a.area = 80000.0;
  a.centroid_x = 400150.0;
  a.centroid_y = 6499850.0;
  a.xmin = 400000.0;
  a.ymin = 6499700.0;
  a.xmax = 400300.0;
  a.ymax = 6500000.0;
  a.evidence = "mag:0.6,gravity:0.4";
  // 3 x 3 cells with the centre cell missing: a polygon with a hole.
  a.polygons = {{rect(400000, 6499700, 400300, 6500000), rect(400100, 6499800, 400200, 6499900)}};
  Target b;
  b.rank = 2;
  b.peak_score = 0.85;
  b.mean_score = 0.82;
  b.cells = 1;
  b.area = 10000.0;
  b.centroid_x = 400550.0;
  b.centroid_y = 6499550.0;
  b.xmin = 400500.0;
  b.ymin = 6499500.0;
  b.xmax = 400600.0;
  b.ymax = 6499600.0;
  b.evidence = "geochem_cu:1.0";
  b.polygons = {{rect(400500, 6499500, 400600, 6499600)}};
  ct.targets = {a, b};
  return ct;
}

std::vector<float> test_data(const GridSpec& g) {
  std::vector<float> v(static_cast<size_t>(g.size()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = 0.01f * static_cast<float>(i);
  v[4] = NAN;
  v[17] = NAN;
  return v;
}

struct Written {
  std::string h5, gpkg;
  std::vector<float> data;
};

Written write_all(const std::string& dir) {
  const GridSpec g = test_grid();
  Written w;
  w.h5 = dir + "/prospectivity.nc";
  w.gpkg = dir + "/targets.gpkg";
  w.data = test_data(g);
  const CommodityTargets ct = test_targets();
  CommodityTargets empty;
  empty.commodity = "li";
  {
    H5Writer h5(w.h5, g, "test output");
    GridVariable var;
    var.name = "prospectivity_cu";
    var.long_name = "Cu prospectivity";
    var.units = "1";
    var.data = w.data.data();
    var.attributes["recipe"] = "cu_porphyry";
    h5.write_grid(var);
    h5.write_targets(ct);
    h5.write_targets(empty);
    Provenance p;
    p.job_path = "/jobs/test.json";
    p.job_text = "{\"job\": 1}";
    p.version = "0.1.0";
    p.created_utc = "2024-01-01T00:00:00Z";
    p.inputs = {{"mag", "/data/mag.tif", "abc123"}};
    h5.write_provenance(p);
    h5.close();
  }
  write_pam_sidecar(w.h5, g, {"prospectivity_cu"});
  write_targets_gpkg(w.gpkg, g, {ct, empty});
  return w;
}

void check_raster(const std::string& name, const std::vector<float>& expected) {
  INFO(name);
  gdal::ensure_initialized();
  gdal::Dataset ds(GDALOpen(name.c_str(), GA_ReadOnly));
  REQUIRE(ds);
  REQUIRE(GDALGetRasterXSize(ds.get()) == 6);
  REQUIRE(GDALGetRasterYSize(ds.get()) == 5);
  double gt[6];
  REQUIRE(GDALGetGeoTransform(ds.get(), gt) == CE_None);
  CHECK(gt[0] == Approx(400000.0));
  CHECK(gt[1] == Approx(100.0));
  CHECK(gt[2] == 0.0);
  CHECK(gt[3] == Approx(6500000.0));
  CHECK(gt[4] == 0.0);
  CHECK(gt[5] == Approx(-100.0));
  OGRSpatialReferenceH srs = GDALGetSpatialRef(ds.get());
  REQUIRE(srs != nullptr);
  const char* code = OSRGetAuthorityCode(srs, nullptr);
  REQUIRE(code != nullptr);
  CHECK(std::string(code) == "28350");
  GDALRasterBandH b = GDALGetRasterBand(ds.get(), 1);
  int has_nd = 0;
  const double nd = GDALGetRasterNoDataValue(b, &has_nd);
  CHECK(has_nd);
  CHECK(nd == -9999.0);
  std::vector<float> got(30);
  REQUIRE(GDALRasterIO(b, GF_Read, 0, 0, 6, 5, got.data(), 6, 5, GDT_Float32, 0, 0) == CE_None);
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i]))
      CHECK(got[i] == -9999.0f);
    else
      CHECK(got[i] == expected[i]);
  }
}

} // namespace

TEST_CASE("H5Writer output is georeferenced for GDAL's HDF5 and netCDF drivers", "[h5]") {
  TempDir tmp;
  const Written w = write_all(tmp.path);
  check_raster("HDF5:\"" + w.h5 + "\"://prospectivity_cu", w.data);
  check_raster("NETCDF:\"" + w.h5 + "\":prospectivity_cu", w.data);
}

TEST_CASE("Target GeoPackage has both layers per commodity in the grid CRS", "[h5]") {
  TempDir tmp;
  const Written w = write_all(tmp.path);
  gdal::Dataset ds(GDALOpenEx(w.gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  REQUIRE(ds);
  for (const char* name : {"targets_cu", "target_points_cu"}) {
    INFO(name);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds.get(), name);
    REQUIRE(layer != nullptr);
    CHECK(OGR_L_GetFeatureCount(layer, TRUE) == 2);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    REQUIRE(srs != nullptr);
    const char* code = OSRGetAuthorityCode(srs, nullptr);
    REQUIRE(code != nullptr);
    CHECK(std::string(code) == "28350");
  }
  OGRLayerH polys = GDALDatasetGetLayerByName(ds.get(), "targets_cu");
  OGR_L_ResetReading(polys);
  OGRFeatureH f = OGR_L_GetNextFeature(polys);
  REQUIRE(f != nullptr);
  CHECK(OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "rank")) == 1);
  CHECK(std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "evidence"))) == "mag:0.6,gravity:0.4");
  OGRGeometryH g = OGR_F_GetGeometryRef(f);
  REQUIRE(g != nullptr);
  double area = OGR_G_Area(g);
  CHECK(area == Approx(80000.0));
  OGR_F_Destroy(f);
  OGRLayerH empty = GDALDatasetGetLayerByName(ds.get(), "targets_li");
  REQUIRE(empty != nullptr);
  CHECK(OGR_L_GetFeatureCount(empty, TRUE) == 0);
}

TEST_CASE("CF-1.8 target geometries are readable by GDAL's netCDF vector driver", "[h5]") {
  TempDir tmp;
  const Written w = write_all(tmp.path);
  gdal::Dataset ds(GDALOpenEx(("NETCDF:\"" + w.h5 + "\"").c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                              nullptr, nullptr));
  REQUIRE(ds);
  OGRLayerH polys = GDALDatasetGetLayerByName(ds.get(), "targets_cu_polygon");
  REQUIRE(polys != nullptr);
  CHECK(OGR_L_GetFeatureCount(polys, TRUE) == 2);
  OGR_L_ResetReading(polys);
  OGRFeatureH f = OGR_L_GetNextFeature(polys);
  REQUIRE(f != nullptr);
  OGRGeometryH g = OGR_F_GetGeometryRef(f);
  REQUIRE(g != nullptr);
  CHECK(OGR_G_Area(g) == Approx(80000.0));
  OGR_F_Destroy(f);
}

TEST_CASE("inspect_output summarises the file and rejects other files", "[h5]") {
  TempDir tmp;
  const Written w = write_all(tmp.path);
  const std::string text = inspect_output(w.h5);
  CHECK(text.find("prospectivity_cu") != std::string::npos);
  CHECK(text.find("EPSG:28350") != std::string::npos);
  CHECK(text.find("valid 28 of 30") != std::string::npos);
  CHECK(text.find("cu: 2 targets") != std::string::npos);

  CHECK_THROWS_AS(inspect_output(tmp.path + "/missing.h5"), Error);
  std::ofstream(tmp.path + "/not.h5") << "hello";
  try {
    inspect_output(tmp.path + "/not.h5");
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::InputData);
  }
}

TEST_CASE("Grids spanning several chunks round-trip", "[h5]") {
  TempDir tmp;
  GridSpec g = test_grid();
  g.nx = 300;
  g.ny = 530; // three blocks of chunk rows, the last one partial
  std::vector<float> data(static_cast<size_t>(g.size()));
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = (i % 97 == 0) ? NAN : static_cast<float>(i) * 0.5f;
  const std::string path = tmp.path + "/big.h5";
  {
    H5Writer h5(path, g, "big");
    GridVariable var;
    var.name = "score";
    var.data = data.data();
    h5.write_grid(var);
    h5.close();
  }
  gdal::Dataset ds(GDALOpen(("NETCDF:\"" + path + "\":score").c_str(), GA_ReadOnly));
  REQUIRE(ds);
  std::vector<float> got(data.size());
  REQUIRE(GDALRasterIO(GDALGetRasterBand(ds.get(), 1), GF_Read, 0, 0, 300, 530, got.data(), 300, 530,
                       GDT_Float32, 0, 0) == CE_None);
  size_t mismatches = 0;
  for (size_t i = 0; i < data.size(); ++i)
    if (got[i] != (std::isnan(data[i]) ? kFillValue : data[i])) ++mismatches;
  CHECK(mismatches == 0);
}

TEST_CASE("H5Writer reports misuse and unwritable paths as runtime errors", "[h5]") {
  TempDir tmp;
  const GridSpec g = test_grid();
  try {
    H5Writer bad(tmp.path + "/no/such/dir/out.h5", g, "x");
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Runtime);
    CHECK(std::string(e.what()).find("out.h5") != std::string::npos);
  }
  H5Writer h5(tmp.path + "/out.h5", g, "x");
  std::vector<float> data = test_data(g);
  GridVariable var;
  var.name = "a";
  var.data = data.data();
  h5.write_grid(var);
  CHECK_THROWS_AS(h5.write_grid(var), Error); // same name twice
  h5.close();
  CHECK_THROWS_AS(h5.write_grid(var), Error); // after close
}
