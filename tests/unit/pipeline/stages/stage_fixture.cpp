#include "stage_fixture.hpp"

#include "pipeline/app/run.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/job/options.hpp"
#include "pipeline/stages/registry.hpp"

#include <catch2/catch.hpp>
#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include <unistd.h>

namespace prospector::test {

namespace fs = std::filesystem;

namespace {

void write_raster(const std::string& path, const TinyRun& r, const std::vector<float>& v, bool nodata) {
  GDALAllRegister();
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  GDALDatasetH ds =
      GDALCreate(drv, path.c_str(), static_cast<int>(r.nx), static_cast<int>(r.ny), 1, GDT_Float32, nullptr);
  REQUIRE(ds != nullptr);
  double gt[6] = {r.x0, r.cell, 0.0, r.y0, 0.0, -r.cell};
  GDALSetGeoTransform(ds, gt);
  OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
  OSRImportFromEPSG(srs, 32755);
  char* wkt = nullptr;
  OSRExportToWkt(srs, &wkt);
  GDALSetProjection(ds, wkt);
  CPLFree(wkt);
  OSRDestroySpatialReference(srs);
  GDALRasterBandH b = GDALGetRasterBand(ds, 1);
  if (nodata) GDALSetRasterNoDataValue(b, -99999.0);
  REQUIRE(GDALRasterIO(b, GF_Write, 0, 0, static_cast<int>(r.nx), static_cast<int>(r.ny),
                       const_cast<float*>(v.data()), static_cast<int>(r.nx), static_cast<int>(r.ny),
                       GDT_Float32, 0, 0) == CE_None);
  GDALClose(ds);
}

std::unique_ptr<TinyRun> make_run() {
  auto r = std::make_unique<TinyRun>();
  // One folder per process: ctest runs the test cases in parallel processes.
  r->dir = (fs::temp_directory_path() / ("prospector_stage_tests_" + std::to_string(::getpid()))).string();
  fs::remove_all(r->dir);
  fs::create_directories(r->dir);
  const auto n = static_cast<size_t>(r->nx * r->ny);
  r->tmi.resize(n);
  r->k.resize(n);
  r->th.resize(n);
  for (std::int64_t y = 0; y < r->ny; ++y)
    for (std::int64_t x = 0; x < r->nx; ++x) {
      const size_t i = static_cast<size_t>(y * r->nx + x);
      const double d2 = static_cast<double>((x - 12) * (x - 12) + (y - 20) * (y - 20));
      r->tmi[i] =
          static_cast<float>(50000.0 + 3.0 * std::sin(0.3 * static_cast<double>(x)) +
                             2.0 * std::cos(0.2 * static_cast<double>(y)) + 400.0 * std::exp(-d2 / 18.0));
      r->k[i] = static_cast<float>(1.5 + 0.1 * std::sin(0.5 * static_cast<double>(x + y)) +
                                   2.0 * std::exp(-d2 / 30.0));
      r->th[i] = static_cast<float>(10.0 + std::cos(0.4 * static_cast<double>(x - y)));
    }
  for (std::int64_t y = 4; y < 8; ++y)
    for (std::int64_t x = 30; x < 36; ++x)
      r->tmi[static_cast<size_t>(y * r->nx + x)] = -99999.0f;
  write_raster(r->dir + "/tmi.tif", *r, r->tmi, true);
  write_raster(r->dir + "/k.tif", *r, r->k, false);
  write_raster(r->dir + "/th.tif", *r, r->th, false);
  r->job_path = r->dir + "/job.json";
  std::ofstream(r->job_path) << R"({
 "name": "stage tests",
 "grid": {"crs": "EPSG:32755", "align_to": "tmi", "extent": "union"},
 "inputs": [
  {"id": "tmi", "kind": "magnetics", "path": "tmi.tif", "units": "nT", "inclination": -55.0, "declination": 8.0},
  {"id": "k", "kind": "radiometric", "element": "K", "path": "k.tif", "units": "%"},
  {"id": "th", "kind": "radiometric", "element": "Th", "path": "th.tif", "units": "ppm"}
 ],
 "commodities": ["cu"],
 "recipes": {"cu": {"min_weight_fraction": 0.1}},
 "anomaly": {"local_radius": 3},
 "targets": {"top_fraction": 0.05},
 "tiling": {"tile_size": 16},
 "output": {"folder": "out"}
})";
  EngineOptions o;
  o.threads = 2;
  run_job(r->job_path, o);
  r->plan = make_plan(r->job_path);
  return r;
}

} // namespace

TinyRun::~TinyRun() {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

const TinyRun& TinyRun::get() {
  static const std::unique_ptr<TinyRun> run = make_run();
  return *run;
}

const Stage& stage_named(const std::string& name) {
  for (const Stage* s : stage_registry())
    if (s->info().short_name() == name) return *s;
  FAIL("no stage named " << name);
  throw; // unreachable: FAIL throws
}

std::vector<float> work_layer(const Plan& plan, const std::string& layer) {
  const std::int64_t nx = plan.grid.nx, ny = plan.grid.ny;
  std::vector<float> out(static_cast<size_t>(nx * ny), NAN), tile;
  for (std::int64_t t = 0; t < plan.tiles.count(); ++t) {
    const Window w = plan.tiles.window(t);
    read_tile(plan.work.layer_tile(layer, t), w, tile);
    for (std::int64_t r = 0; r < w.rows; ++r)
      for (std::int64_t c = 0; c < w.cols; ++c)
        out[static_cast<size_t>((w.row0 + r) * nx + w.col0 + c)] = tile[static_cast<size_t>(r * w.cols + c)];
  }
  return out;
}

nlohmann::json work_json(const Plan& plan, const std::string& name) {
  return nlohmann::json::parse(read_file(plan.work.global(name)));
}

nlohmann::json params_with(const std::string& stage, std::int64_t unit,
                           const std::vector<std::string>& overrides) {
  std::vector<JobOverride> ov;
  for (const auto& o : overrides)
    ov.push_back(parse_override(o));
  const Plan p = make_plan(TinyRun::get().job_path, ov);
  StageContext ctx(p);
  return stage_named(stage).params_json(ctx, unit);
}

std::vector<float> with_nan(std::vector<float> v, float nodata) {
  for (auto& x : v)
    if (x == nodata) x = NAN;
  return v;
}

} // namespace prospector::test
