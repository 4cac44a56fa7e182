#pragma once
/// \file plan.hpp
/// The resolved, immutable context of a run: the validated job, the analysis grid and its tiles, the
/// layers every stage reads and writes, the recipes and their evidence bindings, and the work folder.
/// make_plan() builds it before any survey data is read (raster headers only, for union/intersection
/// extents); stages take it const.

#include "kernels/geochem/log_ratio.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/io/ingest.hpp"
#include "pipeline/job/job.hpp"
#include "pipeline/job/recipe.hpp"
#include "pipeline/plan/work_folder.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// A layer on the analysis grid produced by ingest (from an input) or transform (derived).
struct LayerDef {
  std::string name; ///< netCDF-safe name, e.g. "tmi", "soil_cu", "ratio_k_th"
  std::string long_name;
  std::string units;
  std::string kind; ///< magnetics, gravity, radiometric, em, geochem, derived
  std::string element;
  std::string source_id;  ///< input id
  int input = -1;         ///< index into job.inputs (ingest layers)
  int element_index = -1; ///< geochem_points: index of the element
  std::string num, den;   ///< derived ratio: numerator and denominator layers
  bool log_ratio = false; ///< both geochem (log10): the ratio is a difference
  std::string filter;     ///< derived potential-field transform of layer `num` (fft stage)
  int clr_group = -1;     ///< derived centred log-ratio: index into Plan::clr_groups (transform stage)
  int balance = -1;       ///< derived ILR balance: index into Plan::balances (transform stage)
  std::string measure;    ///< vector and categorical inputs: unit, contact, distance or density
  std::vector<std::string> classes; ///< categorical layers: class names by code ("" = unused code)
  bool categorical() const { return !classes.empty(); }
};

/// The geochemical layers of one geochem.balances entry, and the ILR basis whose first coordinate is the
/// balance (numerator parts first).
struct BalanceLayers {
  std::vector<std::string> numerator, denominator;
  kernels::IlrBasis basis;
};

/// Resolved evidence of a recipe: which layer and base transform it reads.
struct EvidenceBinding {
  std::string layer;              ///< "" when the job has no layer for it
  std::string base;               ///< robust_z, local_z, gi_star, value (the layer) or category
  std::vector<double> categories; ///< category: membership by class code (the recipe's table resolved)
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
  std::string out;                                  ///< output folder (absolute)
  WorkFolder work;                                  ///< out/work and every path in it

  /// Every layer, categorical ones included.
  std::vector<LayerDef> all_layers() const;
  /// The layers with z-scores (stats and anomaly stages): every layer but the categorical ones.
  std::vector<LayerDef> anomaly_sources() const;
  /// Names of the anomaly grids the run computes (without anomaly_rx): those some recipe evidence reads, the
  /// robust z-scores of the RX bands, and every robust and local z-score when output.layers asks for
  /// "anomalies". Grids nothing reads are neither computed nor stored.
  std::vector<std::string> anomaly_layers() const;
  /// True when anomaly grid `name` (e.g. "anomaly_k_local_z") is one of anomaly_layers().
  bool computes(const std::string& name) const;
};

/// Loads and validates the job (with command-line overrides) and its recipes, and resolves the grid and
/// layers. No survey data is read except raster headers (for union/intersection extents).
Plan make_plan(const std::string& job_path, const std::vector<JobOverride>& overrides = {});

/// Units of potential-field transform `filter` of a layer in `units`: the same for RTP and continuation,
/// per metre for the derivatives, rad for the tilt, mGal for pseudo-gravity.
std::string transform_units(const std::string& filter, const std::string& units);

/// Estimated resources of a run, for `validate` and for Slurm memory requests.
struct PlanEstimate {
  double tile_mib = 0;                ///< one tile with its halo, one float layer
  double tile_unit_mib = 0;           ///< peak of a per-tile unit
  double whole_grid_mib = 0;          ///< peak of the whole-grid stages (fft, learn)
  double row_block_mib = 0;           ///< one block of output rows (publish)
  double peak_mib = 0;                ///< peak of a one-process run
  double work_mib = 0;                ///< work folder on disk
  double output_mib = 0;              ///< the gridded output before compression
  double request_tile_unit_mib = 0;   ///< what a per-tile batch task should ask for (conservative)
  double request_global_unit_mib = 0; ///< what a global-stage batch task should ask for (conservative)
};
PlanEstimate estimate(const Plan& plan);

/// The plan as text for `validate`: grid, tiles, inputs, layers, commodities, estimates. The stage list is
/// added by the caller, which knows the registry.
std::string describe_plan(const Plan& plan);

} // namespace prospector
