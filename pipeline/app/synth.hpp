#pragma once
/// \file synth.hpp
/// `prospector synth`: a physically plausible synthetic survey with planted deposits and decoys.

#include <cstdint>
#include <string>

namespace prospector {

/// Options of `prospector synth`.
struct SynthOptions {
  std::string out_dir;     ///< created if missing
  std::int64_t size = 400; ///< analysis grid is size x size cells of 50 m
  std::uint64_t seed = 42;
};

/// Writes the survey into out_dir: rasters in two CRSs and cell sizes (GeoTIFF), soil geochemistry points
/// (CSV, lon/lat, censored values), geochemistry grids, `job.json` ready for `prospector run`, and
/// `truth.csv` (commodity,x,y,kind with kind = deposit or decoy, x/y in the analysis CRS).
/// Throws prospector::Error on failure.
void write_synthetic_survey(const SynthOptions& opts);

} // namespace prospector
