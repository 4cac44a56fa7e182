#pragma once
/// \file units.hpp
/// Internal: what each stage computes for one unit (a tile, or the whole grid for global stages), and the
/// work-folder layout. Used by engine.cpp only.

#include "pipeline/engine.hpp"
#include "pipeline/gdal_util.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prospector::detail {

/// Work folder paths.
std::string layer_tile_path(const Plan& p, const std::string& layer, std::int64_t t);
std::string partial_path(const Plan& p, const std::string& layer, std::int64_t t);
std::string stats_path(const Plan& p);
std::string model_path(const Plan& p);
std::string targets_path(const Plan& p);

/// Per-run cache of opened inputs, their footprints and prepared points (ingest only).
struct IngestCache {
  explicit IngestCache(const Plan& p);
  std::vector<std::vector<SourceFootprint>> footprints; ///< rasters
  std::vector<std::unique_ptr<PreparedPoints>> points;  ///< geochem_points
  std::vector<std::string> method;                      ///< resolved resampling per raster input
  std::vector<std::string> log;                         ///< lines for the run log (counts, resampling)
  gdal::Dataset& dataset(const Plan& p, std::size_t input);

private:
  std::vector<gdal::Dataset> open_;
};

/// Key parts of an ingest tile: the grid window and, per input, what of it reaches the tile.
std::map<std::string, std::string> ingest_key_parts(const Plan& p, std::int64_t t, IngestCache& cache);

// Each unit writes its outputs atomically and returns the content hash of what it wrote.
std::string run_ingest_tile(const Plan& p, std::int64_t t, IngestCache& cache);
std::string run_fft(const Plan& p, std::vector<std::string>& log);
std::string run_transform_tile(const Plan& p, std::int64_t t);
std::string run_stats(const Plan& p, std::vector<std::string>& log);
std::string run_anomaly_tile(const Plan& p, std::int64_t t);
std::string run_model(const Plan& p, std::vector<std::string>& log);
std::string run_score_tile(const Plan& p, std::int64_t t);
std::string run_targets(const Plan& p, std::vector<std::string>& log);
std::string run_publish(const Plan& p, std::vector<std::string>& log);
/// Name prefix of the temporary file a publish writes (followed by its process id) before renaming it.
inline constexpr const char* kPartialPrefix = ".prospectivity.h5.partial-";
/// Removes the temporary files of publishes killed with SIGKILL (those whose process is gone) from `out`.
/// Every run calls it at its start, whether or not it publishes: a killed publish whose unit an earlier run
/// had already completed with the same inputs is not rerun, and its temporary file would otherwise stay.
void remove_stale_partials(const std::string& out);

} // namespace prospector::detail
