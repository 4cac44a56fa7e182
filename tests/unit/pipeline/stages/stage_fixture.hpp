#pragma once
/// \file stage_fixture.hpp
/// A tiny survey run once through the whole pipeline for the stage tests: a 40 x 36 cell, 100 m magnetics
/// raster with a planted high and a nodata block, K and Th rasters, 16-cell tiles (3 x 3 tiles), Cu only.
/// The grid is aligned to the magnetics raster (grid.align_to), so ingest reads it cell for cell.

#include "pipeline/engine/stage.hpp"
#include "pipeline/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace prospector::test {

/// The survey, its job file and the finished run.
struct TinyRun {
  std::string dir;      ///< temporary folder holding the survey and the output
  std::string job_path; ///< the job file
  std::int64_t nx = 40, ny = 36;
  double x0 = 500050.0, y0 = 7000000.0, cell = 100.0;
  std::vector<float> tmi, k,
      th;    ///< the raster values as written (tmi nodata -99999 in rows 4..7, cols 30..35)
  Plan plan; ///< make_plan(job_path)
  TinyRun() = default;
  TinyRun(const TinyRun&) = delete;
  TinyRun& operator=(const TinyRun&) = delete;
  ~TinyRun(); ///< removes the folder
  /// The run shared by every stage test of a process (built on first use).
  static const TinyRun& get();
};

/// The registry's stage whose short name is `name`; fails the test when there is none.
const Stage& stage_named(const std::string& name);

/// A layer of the work folder assembled from its tiles (row-major, nx * ny).
std::vector<float> work_layer(const Plan& plan, const std::string& layer);

/// A work-folder JSON result (global/<name>).
nlohmann::json work_json(const Plan& plan, const std::string& name);

/// The params JSON of a stage's unit under the job with `overrides` ("KEY=VALUE", as --set takes them).
nlohmann::json params_with(const std::string& stage, std::int64_t unit,
                           const std::vector<std::string>& overrides);

/// The raster values with nodata as NaN.
std::vector<float> with_nan(std::vector<float> v, float nodata);

} // namespace prospector::test
