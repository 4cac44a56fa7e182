#include "pipeline/io/vector_ingest.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <catch2/catch.hpp>
#include <cpl_conv.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace prospector;

namespace {

const char* kPolygons[] = {
    // Overlaps resolve in file order: the later polygon wins.
    "POLYGON((995 2005,1213.3 2005,1090 1801.7,995 1801.7,995 2005))",
    "POLYGON((1090 1801.7,1213.3 2005,1310 2005,1310 1795,1090 1801.7))",
    "POLYGON((1120.4 1940.2,1190.8 1960.3,1170.1 1870.6,1120.4 1940.2))",
};
const char* kUnits[] = {"sediments", "granite", "ultramafic"};

std::string write_geojson(const std::string& name, const std::string& features, bool crs = true) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream f(path);
  f << "{\"type\": \"FeatureCollection\", \"name\": \"units\",";
  if (crs) f << "\"crs\": {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::28350\"}},";
  f << "\"features\": [" << features << "]}";
  return path;
}

std::string polygon_json(const std::string& wkt, const std::string& unit) {
  gdal::ensure_initialized();
  char* text = const_cast<char*>(wkt.c_str());
  OGRGeometryH g = nullptr;
  REQUIRE(OGR_G_CreateFromWkt(&text, nullptr, &g) == OGRERR_NONE);
  char* js = OGR_G_ExportToJson(g);
  std::string out = std::string("{\"type\": \"Feature\", \"properties\": {\"unit\": \"") + unit +
                    "\"}, \"geometry\": " + js + "}";
  CPLFree(js);
  OGR_G_DestroyGeometry(g);
  return out;
}

GridSpec grid() {
  GridSpec g;
  g.crs_wkt = gdal::SpatialRef::from_user_input("EPSG:28350", "test", ErrorKind::Usage).to_wkt();
  g.x0 = 1000;
  g.y0 = 2000;
  g.cell = 10;
  g.nx = 30;
  g.ny = 20;
  return g;
}

InputSpec geology(const std::string& path) {
  InputSpec in;
  in.id = "geol";
  in.kind = "geology";
  in.path = path;
  in.attribute = "unit";
  return in;
}

} // namespace

TEST_CASE("geology: the unit layer equals the polygons' attribute at every cell centre", "[vector_ingest]") {
  std::string features;
  for (int i = 0; i < 3; ++i)
    features += (i ? "," : "") + polygon_json(kPolygons[i], kUnits[i]);
  InputSpec in = geology(write_geojson("prospector_vector_units.geojson", features));
  in.contact_units = {"granite"};
  const ClassTable t = input_classes(in);
  REQUIRE(t.names == std::vector<std::string>{"", "granite", "sediments", "ultramafic"});
  const GridSpec g = grid();
  const VectorLayers v = prepare_vector(in, g, t);
  REQUIRE(v.grids.size() == 2);
  std::vector<OGRGeometryH> polys;
  for (const char* wkt : kPolygons) {
    char* text = const_cast<char*>(wkt);
    OGRGeometryH p = nullptr;
    REQUIRE(OGR_G_CreateFromWkt(&text, nullptr, &p) == OGRERR_NONE);
    polys.push_back(p);
  }
  std::int64_t checked = 0;
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c < g.nx; ++c) {
      OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
      OGR_G_SetPoint_2D(pt, 0, g.x_center(c), g.y_center(r));
      double want = NAN;
      for (int k = 0; k < 3; ++k)
        if (OGR_G_Contains(polys[static_cast<size_t>(k)], pt)) want = static_cast<double>(t.code(kUnits[k]));
      OGR_G_DestroyGeometry(pt);
      const float got = v.grids[0][static_cast<size_t>(r * g.nx + c)];
      INFO("row " << r << " col " << c);
      if (std::isnan(want))
        CHECK(std::isnan(got));
      else
        CHECK(got == static_cast<float>(want));
      ++checked;
    }
  CHECK(checked == g.size());
  // Contact distance: one cell beside the granite boundary, never less.
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c + 1 < g.nx; ++c) {
      const bool a = v.grids[0][static_cast<size_t>(r * g.nx + c)] == 1.0f;
      const bool b = v.grids[0][static_cast<size_t>(r * g.nx + c + 1)] == 1.0f;
      if (a != b) CHECK(v.grids[1][static_cast<size_t>(r * g.nx + c)] == 10.0f);
      CHECK(v.grids[1][static_cast<size_t>(r * g.nx + c)] >= 10.0f);
    }
  for (auto p : polys)
    OGR_G_DestroyGeometry(p);
}

TEST_CASE("structures: distance is the exact distance to the crossed cells, clamped at max_distance",
          "[vector_ingest]") {
  const std::string path =
      write_geojson("prospector_vector_lines.geojson", "{\"type\": \"Feature\", \"properties\": {\"type\": "
                                                       "\"fault\"}, \"geometry\": {\"type\": \"LineString\", "
                                                       "\"coordinates\": [[1003, 1955], [1088, 1955]]}}");
  InputSpec in;
  in.id = "f";
  in.kind = "structures";
  in.path = path;
  in.max_distance = 100;
  in.density_radius = 25;
  const GridSpec g = grid();
  const VectorLayers v = prepare_vector(in, g, {});
  REQUIRE(v.grids.size() == 3);
  // The line crosses row 4 (y 1960..1950) from col 0 to col 8.
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c < g.nx; ++c) {
      const double dc = c <= 8 ? 0.0 : static_cast<double>(c - 8);
      const double want = std::min(100.0, 10.0 * std::sqrt(dc * dc + static_cast<double>((r - 4) * (r - 4))));
      INFO("row " << r << " col " << c);
      CHECK(v.grids[0][static_cast<size_t>(r * g.nx + c)] == static_cast<float>(want));
    }
  // Density on the line, far from its ends: 5 cells of 10 m of line within 25 m, over pi 25^2.
  CHECK(v.grids[1][static_cast<size_t>(4 * g.nx + 4)] == Approx(50.0 / (M_PI * 625.0)).epsilon(1e-6));
  CHECK(v.grids[1][static_cast<size_t>(10 * g.nx + 4)] == 0.0f);
  // One line crosses nothing: the intersections layer is max_distance everywhere.
  for (const float d : v.grids[2])
    CHECK(d == 100.0f);
}

TEST_CASE("structures: the intersections layer is the distance to the cell where two faults cross",
          "[vector_ingest]") {
  // A north-south fault at x 1055 crosses the east-west one at (1055, 1955): row 4, col 5.
  const std::string path = write_geojson(
      "prospector_vector_cross.geojson",
      "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": \"LineString\", "
      "\"coordinates\": [[1003, 1955], [1088, 1955]]}}, {\"type\": \"Feature\", \"properties\": {}, "
      "\"geometry\": {\"type\": \"LineString\", \"coordinates\": [[1055, 1995], [1055, 1905]]}}");
  InputSpec in;
  in.id = "f";
  in.kind = "structures";
  in.path = path;
  in.max_distance = 100;
  in.density_radius = 25;
  const GridSpec g = grid();
  const VectorLayers v = prepare_vector(in, g, {});
  REQUIRE(v.grids.size() == 3);
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c < g.nx; ++c) {
      const double want =
          std::min(100.0, 10.0 * std::hypot(static_cast<double>(c - 5), static_cast<double>(r - 4)));
      INFO("row " << r << " col " << c);
      CHECK(v.grids[2][static_cast<size_t>(r * g.nx + c)] == static_cast<float>(want));
    }
}

TEST_CASE("vector inputs: bad layers are refused naming file, layer and key", "[vector_ingest]") {
  const std::string poly = polygon_json(kPolygons[0], "granite");
  SECTION("missing attribute") {
    InputSpec in = geology(write_geojson("prospector_vector_attr.geojson", poly));
    in.attribute = "lithology";
    CHECK_THROWS_WITH(input_classes(in), Catch::Contains("no attribute 'lithology'") &&
                                             Catch::Contains("prospector_vector_attr.geojson"));
  }
  SECTION("empty layer") {
    InputSpec in = geology(write_geojson("prospector_vector_empty.geojson", ""));
    CHECK_THROWS_WITH(input_classes(in), Catch::Contains("has no feature"));
  }
  SECTION("points where polygons are expected") {
    InputSpec in = geology(write_geojson(
        "prospector_vector_points.geojson",
        "{\"type\": \"Feature\", \"properties\": {\"unit\": \"a\"}, \"geometry\": {\"type\": \"Point\", "
        "\"coordinates\": [1003, 1955]}}"));
    CHECK_THROWS_WITH(input_classes(in), Catch::Contains("take polygons"));
  }
  SECTION("a class file that names a value twice") {
    const std::string csv = (std::filesystem::temp_directory_path() / "prospector_classes.csv").string();
    std::ofstream(csv) << "value,name\n1,granite\n1,basalt\n";
    InputSpec in;
    in.id = "lith";
    in.kind = "categorical_raster";
    in.path = csv;
    in.class_file = csv;
    CHECK_THROWS_WITH(input_classes(in), Catch::Contains("named twice"));
  }
}
