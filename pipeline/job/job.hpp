#pragma once
/// \file job.hpp
/// The job file: declaration (one place, used for validation and for schemas/job.schema.json), typed model,
/// loading and cross-field validation. Job files are JSON.

#include "pipeline/job/options.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace prospector {

/// Commodities prospector scores, each with a recipe in jobs/recipes/<name>.json.
const std::vector<std::string>& known_commodities();

/// Input data kinds.
const std::vector<std::string>& input_kinds();

/// True for the kinds read through OGR (geology polygons, structure lines, feature points).
bool is_vector_kind(const std::string& kind);

/// How below-detection values are written and replaced in a geochemistry CSV.
struct BelowDetection {
  bool negative_values = false;       ///< a negative value -v means "below detection limit v"
  bool zero_means_missing = false;    ///< 0 means "not analysed" (skipped and counted), not a concentration
  std::string substitute = "half_dl"; ///< half_dl (DL/2), dl_sqrt2_over_2 (DL*sqrt(2)/2) or ros (Helsel 2005)
};

/// Gridding of point data with GDAL's gridding API.
struct Gridding {
  std::string method =
      "invdist"; ///< invdist (inverse distance to a power, nearest-neighbour search) or nearest
  double power = 2.0;
  double radius = 0.0; ///< search radius in analysis-grid map units; 0 = 4 cells
  int max_points = 12;
  int min_points = 1;
};

/// One element column of a geochemistry CSV.
struct ElementColumn {
  std::string element;
  std::string column;
  std::string units = "ppm";
};

/// One input layer (raster) or point set (CSV).
struct InputSpec {
  std::string id;
  std::string kind; ///< one of input_kinds()
  std::string path; ///< absolute path (resolved against the job file's folder)
  std::string path_as_written;
  std::vector<std::string> paths; ///< several raster files to mosaic (absolute); empty = `path` alone
  std::string pattern = "*.tif";  ///< when `path` is a folder: which of its files are rasters
  std::string element;            ///< radiometric: K, Th, U, TC; geochem_grid: element symbol
  std::string units;
  std::optional<double> nodata; ///< overrides the file's nodata
  std::string resampling = "auto";
  int band = 1;
  std::string crs; ///< overrides/sets the CRS of the file (rasters without one) or of the CSV x/y
  std::optional<double> inclination, declination; ///< magnetics: field direction (degrees)
  double upward_height = 500.0;                   ///< metres, for the upward_continuation filter
  // geochem_points only
  std::string x_column, y_column;
  char delimiter = ',';
  std::vector<ElementColumn> elements;
  BelowDetection below_detection;
  Gridding gridding;
  // geology, structures, features (vectors through OGR)
  std::string layer;                       ///< vector layer name; empty = the dataset's first layer
  std::string attribute;                   ///< geology: attribute holding the unit (category) name
  std::string where;                       ///< OGR SQL attribute filter (e.g. "type = 'fault'")
  std::vector<std::string> contact_units;  ///< geology: units given a distance-to-contact layer
  double max_distance = 0.0;               ///< distances are exact up to this (map units); 0 = 256 cells
  double density_radius = 0.0;             ///< structures, features: density radius (map units); 0 = 10 cells
  std::string invalid_geometries = "skip"; ///< skip (counted, logged) or error
  std::string class_file;                  ///< categorical_raster: CSV "value,name" (absolute)
};

/// The analysis grid as requested (resolved into a GridSpec after inputs are opened).
struct GridRequest {
  std::string crs;
  double cell_size = 0.0;                   ///< 0: the align_to input's pixel size
  std::string align_to;                     ///< input id whose cell lattice (origin, size) the grid keeps
  std::string extent_mode = "intersection"; ///< explicit, union, intersection
  std::array<double, 4> extent{};           ///< xmin, ymin, xmax, ymax in the grid CRS (explicit)
};

/// Options of the targets stage.
struct TargetOptions {
  double top_fraction = 0.02;             ///< keep the top fraction of valid cells
  std::string threshold = "top_fraction"; ///< top_fraction or concentration_area
  std::int64_t min_cells = 1;             ///< drop components smaller than this
  std::int64_t max_targets = 50;
};

/// Per-evidence override in the job.
struct EvidenceOverride {
  std::optional<double> weight;
  std::string layer; ///< bind this evidence to a specific layer id
};

/// Recipe override for one commodity.
struct RecipeOverride {
  std::string path; ///< replacement recipe file (absolute), empty = the bundled one
  std::map<std::string, EvidenceOverride> evidence;
  std::optional<double> top_fraction;
  std::optional<double> min_weight_fraction;
};

/// Anomaly stage options.
struct AnomalyOptions {
  std::int64_t local_radius = 15;          ///< moving-window radius in cells
  bool rx = true;                          ///< compute the RX (Mahalanobis) anomaly
  std::vector<std::string> rx_layers;      ///< input ids; empty = all geophysical layers
  std::string rx_covariance = "classical"; ///< classical or mcd
  std::int64_t robust_sample = 20000;      ///< cells sampled for the MCD estimate
  std::int64_t pca_components = 0;         ///< PC score grids of the RX stack (0 = none)
};

/// Compositional treatment of the geochemical layers.
/// An isometric log-ratio balance of two groups of elements (geochem.balances).
struct BalanceSpec {
  std::string name;                     ///< layer balance_<name>
  std::vector<std::string> numerator;   ///< element symbols
  std::vector<std::string> denominator; ///< element symbols, none of them in the numerator
  std::string
      input; ///< optional: the geochemical input whose elements it takes (a geochem_grid id: the grids)
};

struct GeochemOptions {
  std::string composition = "none"; ///< none or clr
  std::vector<std::string> parts;   ///< elements of the composition; empty = all geochemical elements
  std::vector<BalanceSpec> balances;
};

/// Known deposits for data-driven models (optional).
struct TrainingSpec {
  std::string path; ///< absolute; empty = no training
  std::string layer;
  std::string commodity_column = "commodity";
  std::string x_column = "x", y_column = "y";
  std::string crs;
  std::string where_column, where_value;
  std::string test_path; ///< absolute; empty = none
};

/// One evidence layer of the ArcSDM-style weights of evidence (models.wofe_evidence).
struct WofeEvidenceSpec {
  std::string layer;             ///< any layer of the run (input, derived, categorical, anomaly grid)
  std::string type;              ///< binary, categorical, ascending, descending or unique
  double threshold = 0.0;        ///< binary: the pattern is value >= threshold (pattern "above") or <=
  std::string pattern = "above"; ///< binary: above or below
  int classes = 10;              ///< ascending / descending: quantile classes of the layer's values
  std::vector<double> breaks;    ///< ascending / descending: explicit class breaks (strictly increasing)
  std::string generalise = "max_contrast"; ///< max_contrast, max_studentized or manual
  int cutoff = -1;                         ///< manual: class index (0 = lowest values) of the last row inside
  double confidence = 2.0;                 ///< gate on the studentized contrast
  std::vector<std::string> commodities;    ///< empty = every commodity
};

/// Data-driven model options.
struct ModelOptions {
  /// ArcSDM-style weights of evidence on these layers; empty = the recipe memberships in `classes`
  /// equal-width classes (the original model).
  std::vector<WofeEvidenceSpec> wofe_evidence;
  double unit_area = 0.0;             ///< square grid-CRS units per unit cell; 0 = one grid cell
  std::string wofe_points = "points"; ///< points (ArcSDM: with multiplicity) or cells (EIS Toolkit)
  std::string wofe_traps = "arcsdm";  ///< zero-count traps: arcsdm or eis
  std::string wofe_std = "arcsdm";    ///< posterior deviation: arcsdm (P^2 approximation) or delta
  bool wofe_missing_variance = true;  ///< add the missing-data variance to the total deviation
  bool wofe = true;
  std::string wofe_zero_class = "arcsdm"; ///< arcsdm or continuity (kernels::WofeZeroClass)
  double wofe_continuity = 0.5;           ///< value replacing a zero count (kernels::WofeParams::continuity)
  bool logistic = true;
  double lambda = 0.01;
  int classes = 4;
  int folds = 5;
  double block_size = 0.0; ///< map units; 0 = 20 cells
  std::vector<double> capture_fractions = {0.01, 0.02, 0.05, 0.1, 0.2};
  /// Polygons (any OGR vector) bounding the study area of the data-driven models; "" = every cell with
  /// evidence. Absolute after loading.
  std::string study_area;
  std::string study_area_layer; ///< layer of study_area ("" = its first layer)
};

/// Conventions of the FFT transforms (kernels potential_field.*): what is removed before the transform and
/// how the grid is extended into the pad. "auto" + "mirror" are prospector's own; "plane" + "edge_point"
/// reproduce GMT grdfft's default (-N+d+e, taper over the whole pad).
struct PotentialFieldOptions {
  std::string detrend = "auto";   ///< auto, none, mean or plane (kernels::PfDetrend)
  std::string padding = "mirror"; ///< mirror or edge_point (kernels::PfPadding)
  double pad_fraction = 0.25;     ///< pad width per side as a fraction of the grid's edge
  std::int64_t min_pad = 16;      ///< fewest pad cells per side
};

/// Tiling of the per-cell stages.
struct TilingOptions {
  std::int64_t tile_size = 1024;
  std::int64_t fft_block = 4096; ///< FFT block edge for large grids (cells)
};

/// Where and what the run writes.
struct OutputOptions {
  std::string folder = "out";            ///< absolute after loading
  std::string name = "prospectivity.nc"; ///< file name of the gridded output (netCDF-4/CF) in `folder`
  std::string institution;               ///< CF global `institution` ("" = not recorded)
  std::string comment;                   ///< appended to the CF global `comment`
  std::string compression = "deflate";   ///< none or deflate
  std::int64_t deflate_level = 1;        ///< libdeflate level 1 (fastest) .. 12 (smallest)
  /// Groups of grids written: prospectivity, evidence (anomaly grids the recipes read), anomalies (every
  /// anomaly grid), multivariate (RX, principal components), learned (data-driven posteriors), contributions
  /// (weighted membership of each evidence).
  std::vector<std::string> layers = {"prospectivity", "evidence", "multivariate", "learned"};
};

/// A validated job.
struct Job {
  std::string path; ///< absolute path of the job file
  std::string dir;  ///< its folder
  std::string text; ///< verbatim file content (provenance)
  std::string name = "prospector job";
  GridRequest grid;
  std::vector<InputSpec> inputs;
  std::vector<std::string> commodities = known_commodities();
  std::map<std::string, RecipeOverride> recipes;
  AnomalyOptions anomaly;
  GeochemOptions geochem;
  TargetOptions targets;
  TilingOptions tiling;
  PotentialFieldOptions potential_field;
  TrainingSpec training;
  ModelOptions models;
  OutputOptions output;
  std::string recipe_dir; ///< folder of the bundled recipes (absolute)
};

/// The declaration of the job file, bound to the members of Job.
const options::Decl<Job>& job_decl();
/// The declaration as an option spec (validation, schema).
const options::ObjectSpec& job_spec();

/// True when `file_name` is a file publish writes into output.folder, replacing any file of that name: the
/// gridded output and its .aux.xml sidecar, targets.gpkg, report.html and the wofe_<c>_<layer>.csv tables.
bool is_deliverable(const OutputOptions& output, const std::string& file_name);

/// The deliverables (is_deliverable) present in the absolute output folder `folder`.
std::vector<std::string> deliverables_in(const OutputOptions& output, const std::string& folder);

/// One command-line override of a job option: dotted key and JSON value ("tiling.tile_size", 256).
struct JobOverride {
  std::string key;
  nlohmann::json value;
  std::string origin; ///< how the user gave it, for errors: "--tile-size", "--set anomaly.local_radius=5"
};

/// Reads, parses and validates a job file (schema, then cross-field checks), with `overrides` applied to the
/// parsed document before validation; no input file is opened. Errors: Error(Usage) naming the file and key.
Job load_job(const std::string& path, const std::vector<JobOverride>& overrides = {});

/// Parses "KEY=VALUE" (VALUE as JSON, or as a string when it is not JSON) into an override of a declared
/// job option; Error(Usage) naming the key when no option is declared under it.
JobOverride parse_override(const std::string& assignment);

/// The JSON form of a job's options (every declared key), e.g. for content keys of stage units.
nlohmann::json to_json(const Job& job);
/// JSON forms of the job's sections, from the same declarations (for stage params).
void to_json(nlohmann::json& j, const InputSpec& v);
void to_json(nlohmann::json& j, const AnomalyOptions& v);
void to_json(nlohmann::json& j, const TargetOptions& v);
void to_json(nlohmann::json& j, const TrainingSpec& v);
void to_json(nlohmann::json& j, const ModelOptions& v);

/// Folder of the bundled recipes: $PROSPECTOR_RECIPES, else the source tree's jobs/recipes when present,
/// else the installed share/prospector/recipes.
std::string default_recipe_dir();

} // namespace prospector
