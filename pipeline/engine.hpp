#pragma once
/// \file engine.hpp
/// The stage DAG and its executor: a plan built from a validated job, per-unit manifests with content keys,
/// staleness ("recompute only what changed"), status, and crash-safe execution.
///
/// Stages (in order): ingest (per tile), fft (global: potential-field transforms on the whole grid),
/// transform (per tile), stats (global), anomaly (per tile, halo),
/// model (global), score (per tile), targets (global), learn (global: data-driven models from training
/// deposits), publish (global). A unit is one stage on one tile,
/// or the single unit of a global stage. Its key hashes its parameters and the content hashes of the
/// upstream outputs it reads; it is up to date when its manifest holds that key. Manifests are written
/// after the outputs, both atomically.

#include "kernels/compositional.hpp"
#include "pipeline/ingest.hpp"
#include "pipeline/job.hpp"
#include "pipeline/recipe.hpp"
#include "pipeline/tiles.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace prospector {

/// A layer on the analysis grid produced by ingest (from an input) or transform (derived).
struct LayerDef {
  std::string name;      ///< netCDF-safe name, e.g. "tmi", "soil_cu", "ratio_k_th"
  std::string long_name;
  std::string units;
  std::string kind;      ///< magnetics, gravity, radiometric, em, geochem, derived
  std::string element;
  std::string source_id; ///< input id
  int input = -1;        ///< index into job.inputs (ingest layers)
  int element_index = -1; ///< geochem_points: index of the element
  std::string num, den;  ///< derived ratio: numerator and denominator layers
  bool log_ratio = false; ///< both geochem (log10): the ratio is a difference
  std::string filter;     ///< derived potential-field transform of layer `num` (fft stage)
  int clr_group = -1;     ///< derived centred log-ratio: index into Plan::clr_groups (transform stage)
  int balance = -1;       ///< derived ILR balance: index into Plan::balances (transform stage)
};

/// The geochemical layers of one geochem.balances entry, and the ILR basis whose first coordinate is the
/// balance (numerator parts first).
struct BalanceLayers {
  std::vector<std::string> numerator, denominator;
  kernels::IlrBasis basis;
};

/// Resolved evidence of a recipe: which layer and base transform it reads.
struct EvidenceBinding {
  std::string layer;       ///< "" when the job has no layer for it
  std::string base;        ///< robust_z, local_z or gi_star
};

/// Everything a run needs, resolved before processing: grid, tiles, layers, recipes.
struct Plan {
  Job job;
  GridSpec grid;
  TileGrid tiles;
  std::int64_t halo = 0;
  std::vector<Recipe> recipes;
  std::vector<std::vector<EvidenceBinding>> evidence; ///< per recipe, per evidence
  std::vector<LayerDef> input_layers;
  std::vector<LayerDef> derived_layers;
  std::vector<std::string> rx_bands;
  std::vector<std::string> gi_layers; ///< layers some evidence takes the Gi* of (anomaly_<layer>_gi_star)
  std::vector<std::vector<std::string>> clr_groups; ///< geochem.composition = clr: the parts of each group
  std::vector<BalanceLayers> balances;              ///< geochem.balances, in the job's order
  std::string out;  ///< output folder
  std::string work; ///< out/work

  std::vector<LayerDef> all_layers() const;
  std::vector<std::string> anomaly_layers() const; ///< names of anomaly grids (without anomaly_rx)
};

/// Options of `run` and `status`.
struct EngineOptions {
  int threads = 0;
  std::string out_folder;
  std::int64_t tile_size = 0;            ///< overrides tiling.tile_size when > 0
  std::vector<std::string> stages;       ///< only these stages (names or short names); empty = all
  std::vector<std::string> tiles;        ///< only these tiles (index or r<y>_c<x>); empty = all
  bool force = false;
};

/// Loads and validates the job and recipes, resolves the grid and layers. No survey data is read except
/// raster headers (for union/intersection extents).
Plan make_plan(const std::string& job_path, const EngineOptions& opts);

/// Short names of the stages in order ("ingest", ..., "publish").
const std::vector<std::string>& stage_names();

/// While alive, SIGTERM and SIGINT only set a flag that execute() checks between units, so the unit being
/// computed finishes and its manifest is written before the run stops (exit code 4, "interrupted"); SIGXFSZ
/// is ignored so that exceeding a file-size limit is a write error with a clear message, not a kill.
/// Restores the previous handlers on destruction.
class InterruptGuard {
public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  /// The signal received (0 when none).
  static int received();

private:
  struct sigaction* saved_;
};

/// Runs the stale units of the selected stages and tiles. Throws prospector::Error.
void execute(const Plan& plan, const EngineOptions& opts);

/// Per stage and tile: done, stale, missing or failed, with the reason; as text.
std::string status_report(const Plan& plan);

/// The plan as text for `validate`: grid, tiles, stages, estimated peak memory and disk.
std::string describe_plan(const Plan& plan);

} // namespace prospector
