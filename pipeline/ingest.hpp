#pragma once
/// \file ingest.hpp
/// Ingest: rasters through GDAL's warper (PROJ) and geochemical points through GDAL's gridding API onto the
/// analysis grid. Geochemistry is log10-transformed (transform.log10 kernel) at ingest.

#include "pipeline/geochem_csv.hpp"
#include "pipeline/grid.hpp"
#include "pipeline/job.hpp"
#include "pipeline/layer_store.hpp"

#include <string>
#include <vector>

namespace prospector {

/// Resolves the analysis grid: the requested CRS and cell, and the explicit extent or the union /
/// intersection of the raster inputs' extents (points when there are no rasters), snapped to the cell size.
/// Opens input headers only. Errors: Usage (bad CRS), InputData (unreadable input, empty intersection).
GridSpec resolve_grid(const Job& job);

/// Layer name(s) an input produces: its id, or id_<element> for each element of a geochem_points input.
std::vector<std::string> layer_names(const InputSpec& in);

/// Checks that an input opens, has a CRS and overlaps the grid; returns a one-line description.
std::string probe_input(const InputSpec& in, const GridSpec& grid);

/// Ingests one input onto the grid and stores its layer(s). `log` receives lines for the run log
/// (resampling used, counts of censored/missing samples, nodata). Errors: InputData naming the file.
std::vector<LayerMeta> ingest_input(const InputSpec& in, const GridSpec& grid, LayerStore& store,
                                    std::vector<std::string>& log);

} // namespace prospector
