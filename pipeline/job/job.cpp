#include "pipeline/job/job.hpp"
#include "pipeline/job/job_detail.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace prospector {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace options;

const std::vector<std::string>& known_commodities() {
  static const std::vector<std::string> c = {"cu", "li", "ni", "co", "sn"};
  return c;
}

const std::vector<std::string>& input_kinds() {
  static const std::vector<std::string> k = {
      "magnetics",          "gravity", "radiometric", "em",      "geochem_grid", "geochem_points", "raster",
      "categorical_raster", "geology", "structures",  "features"};
  return k;
}

bool is_vector_kind(const std::string& kind) {
  return kind == "geology" || kind == "structures" || kind == "features";
}

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

Field path_field() {
  Field one = str("path", "a file, or a folder whose rasters matching `pattern` are mosaicked");
  Field many = array_of("path", "files mosaicked through a VRT (survey tiles)", str("", "file"));
  many.min_items = 1;
  Field f =
      required(str("path", "file path, relative to the job file: any raster GDAL opens, a folder of raster "
                           "tiles, a list of raster files (mosaicked), a CSV for geochem_points, or any "
                           "vector OGR opens (GeoPackage, shapefile, GeoJSON) for geology, structures and "
                           "features"));
  f.alternatives = {one, many};
  return f;
}

Field extent_field() {
  Field extent_box = array_of("extent", "[xmin, ymin, xmax, ymax] in the grid CRS", num("", "coordinate"));
  extent_box.min_items = extent_box.max_items = 4;
  Field extent_mode =
      choices(str("extent", "union or intersection of the inputs' extents"), {"union", "intersection"});
  Field extent = str("extent",
                     "explicit box [xmin, ymin, xmax, ymax] in the grid CRS, or \"union\" / "
                     "\"intersection\" of the raster inputs' extents",
                     GridRequest{}.extent_mode);
  extent.alternatives = {extent_box, extent_mode};
  return extent;
}

Decl<GridRequest> grid_decl() {
  Decl<GridRequest> d("grid", "The analysis grid every layer is resampled onto (north-up).");
  d.add(&GridRequest::crs, "crs", "CRS of the analysis grid, e.g. \"EPSG:28350\" (any GDAL/PROJ user input)")
      .required();
  d.add(&GridRequest::cell_size, "cell_size",
        "cell size in grid CRS units; may be left out with align_to (then the input's pixel size)")
      .no_default()
      .range(0.0, std::nullopt, true);
  d.add(
      &GridRequest::align_to, "align_to",
      "id of a raster input in the grid CRS whose cells the grid keeps: its origin and pixel size fix the "
      "cell "
      "lattice, so that input is read cell for cell without resampling (the extent is widened to whole cells "
      "of it)");
  d.custom(
      extent_field(),
      [](const json& j, GridRequest& g) {
        if (j.is_array()) {
          g.extent_mode = "explicit";
          for (int i = 0; i < 4; ++i)
            g.extent[static_cast<size_t>(i)] = j[static_cast<size_t>(i)];
        } else {
          g.extent_mode = j;
        }
      },
      [](const GridRequest& g, json& j) {
        j["extent"] = g.extent_mode == "explicit" ? json(g.extent) : json(g.extent_mode);
      });
  return d;
}

Decl<InputSpec> input_decl() {
  Decl<ElementColumn> element("element");
  element.add(&ElementColumn::element, "element", "element symbol, e.g. Cu")
      .required()
      .pattern("^[A-Z][a-z]?$");
  element.add(&ElementColumn::column, "column", "CSV column holding its concentration").required();
  element.add(&ElementColumn::units, "units", "concentration units").max_length(kMaxTextLength);

  Decl<BelowDetection> bdl(
      "below_detection",
      "How below-detection values are written. \"<DL\" strings are always read as censored at DL.");
  bdl.add(&BelowDetection::negative_values, "negative_values",
          "a negative value -v means below detection limit v");
  bdl.add(&BelowDetection::zero_means_missing, "zero_means_missing",
          "0 means not analysed: the value is skipped and counted");
  bdl.add(&BelowDetection::substitute, "substitute",
          "value substituted for a censored sample: half_dl (DL/2), dl_sqrt2_over_2 (DL*sqrt(2)/2) or ros "
          "(robust regression on order statistics of the element's samples, Helsel 2005)")
      .choices({"half_dl", "dl_sqrt2_over_2", "ros"});

  Decl<Gridding> gridding("gridding", "Gridding of point samples with GDAL's gridding API (GDALGridCreate).");
  gridding
      .add(&Gridding::method, "method",
           "invdist: inverse distance to a power within the radius; nearest: nearest sample")
      .choices({"invdist", "nearest"});
  gridding.add(&Gridding::power, "power", "inverse-distance power").range(0.0, 10.0, true);
  gridding.add(&Gridding::radius, "radius", "search radius in grid map units; 0 = 4 cells")
      .range(0.0, std::nullopt);
  gridding.add(&Gridding::max_points, "max_points", "most samples used per cell").range(1, 1000);
  gridding.add(&Gridding::min_points, "min_points", "fewest samples for a value (else nodata)")
      .range(1, 1000);

  Decl<InputSpec> d("input", "One survey layer: a raster GDAL opens, or a CSV of geochemical point samples.");
  d.add(&InputSpec::id, "id", "unique short name of the layer, used in outputs and overrides")
      .required()
      .pattern("^[a-z][a-z0-9_]{0,31}$");
  d.add(&InputSpec::kind, "kind", "what the layer measures").required().choices(input_kinds());
  d.custom(
      path_field(),
      [](const json& j, InputSpec& in) {
        if (j.is_array()) {
          in.paths = j.get<std::vector<std::string>>();
          in.path_as_written = in.paths.front() + " (+" + std::to_string(in.paths.size() - 1) + " more)";
          in.path = in.paths.front();
        } else {
          in.path_as_written = j;
          in.path = in.path_as_written;
        }
      },
      [](const InputSpec& in, json& j) { j["path"] = in.paths.empty() ? json(in.path) : json(in.paths); });
  d.add(&InputSpec::pattern, "pattern", "when path is a folder: file name pattern of its rasters (fnmatch)");
  d.add(&InputSpec::element, "element",
        "radiometric: K, Th, U, TC or a ratio (U/Th, K/Th, U/K); geochem_grid: element symbol")
      .max_length(kMaxTextLength);
  d.add(&InputSpec::units, "units", "units of the values (recorded in the output)")
      .max_length(kMaxTextLength);
  d.add(&InputSpec::nodata, "nodata", "nodata value overriding the file's own");
  d.add(&InputSpec::resampling, "resampling",
        "warp resampling; auto = bilinear, or average when coarsening by more than 1.5x")
      .choices({"auto", "nearest", "bilinear", "cubic", "cubicspline", "average", "min", "max", "med"});
  d.add(&InputSpec::band, "band", "raster band (1-based)").range(1, 65535);
  d.add(&InputSpec::crs, "crs",
        "CRS of a raster that has none, or of the CSV x/y columns (geochem_points: required)");
  d.add(&InputSpec::inclination, "inclination",
        "magnetics: geomagnetic field inclination in degrees (positive down), for reduction to the pole and "
        "pseudo-gravity")
      .range(-90.0, 90.0);
  d.add(&InputSpec::declination, "declination",
        "magnetics: geomagnetic field declination in degrees east of grid north")
      .range(-180.0, 360.0);
  d.add(&InputSpec::upward_height, "upward_height", "height in metres for the upward_continuation filter")
      .range(0.0, std::nullopt);
  d.add(&InputSpec::x_column, "x_column", "geochem_points: column of x / longitude");
  d.add(&InputSpec::y_column, "y_column", "geochem_points: column of y / latitude");
  d.custom(
      choices(str("delimiter", "geochem_points: field separator", ","), {",", ";", "\t", "|"}),
      [](const json& j, InputSpec& in) { in.delimiter = j.get<std::string>()[0]; },
      [](const InputSpec& in, json& j) { j["delimiter"] = std::string(1, in.delimiter); });
  d.add(&InputSpec::elements, "elements", "geochem_points: element columns to grid", element)
      .items(1, std::nullopt);
  d.add(&InputSpec::below_detection, "below_detection", "geochem_points: below-detection conventions", bdl);
  d.add(&InputSpec::gridding, "gridding", "geochem_points: gridding parameters", gridding);
  prospector::detail::add_vector_options(d);
  d.when("kind", "geochem_points", {"x_column", "y_column", "crs", "elements"},
         {"x_column", "y_column", "elements", "below_detection", "gridding"});
  d.when("kind", "geology", {"attribute"}, {"attribute", "contact_units"});
  d.when("kind", "categorical_raster", {}, {"class_file"});
  return d;
}

Decl<RecipeOverride> recipe_override_decl() {
  Decl<EvidenceOverride> evo("evidence_override");
  evo.add(&EvidenceOverride::weight, "weight", "replacement weight").range(0.0, std::nullopt);
  evo.add(&EvidenceOverride::layer, "layer",
          "bind the evidence to this input layer id (geochem points: id.element, e.g. soil.cu)");
  Decl<RecipeOverride> d("recipe_override");
  d.add(&RecipeOverride::path, "path", "replacement recipe file, relative to the job file");
  d.add(&RecipeOverride::evidence, "evidence", "per evidence id overrides", evo, {});
  d.add(&RecipeOverride::top_fraction, "top_fraction",
        "target threshold for this commodity (fraction of valid cells)")
      .range(0.0, 1.0, true);
  d.add(&RecipeOverride::min_weight_fraction, "min_weight_fraction",
        "replaces the recipe's combination.min_weight_fraction")
      .range(0.0, 1.0);
  return d;
}

Decl<AnomalyOptions> anomaly_decl() {
  Decl<AnomalyOptions> d("anomaly");
  d.add(&AnomalyOptions::local_radius, "local_radius", "moving-window radius in cells for local z-scores")
      .range(1, 10000);
  d.add(&AnomalyOptions::rx, "rx", "compute the RX (Mahalanobis) anomaly over a layer stack");
  d.add(&AnomalyOptions::rx_layers, "rx_layers",
        "input ids for the RX anomaly; empty = all magnetics, gravity, radiometric, em layers");
  d.add(&AnomalyOptions::rx_covariance, "rx_covariance",
        "mean and covariance of the RX (and PCA) layer stack: classical (all cells), or mcd: the robust "
        "FAST-MCD estimate (kernel anomaly.mcd) from a sample of cells chosen by position, so that "
        "anomalous cells do not inflate the covariance that is meant to find them")
      .choices({"classical", "mcd"});
  d.add(&AnomalyOptions::robust_sample, "robust_sample",
        "cells sampled (every k-th cell in grid order) for the MCD estimate")
      .range(100, 1000000);
  d.add(&AnomalyOptions::pca_components, "pca_components",
        "principal-component score grids of the RX layer stack (correlation matrix of its robust "
        "z-scores, from the rx_covariance estimate): anomaly_pc1 ..; 0 = none")
      .range(0, 64);
  return d;
}

Decl<GeochemOptions> geochem_decl() {
  Decl<BalanceSpec> balance(
      "balance",
      "An isometric log-ratio balance z = sqrt(r s / (r + s)) ln(g(numerator) / g(denominator)) of r "
      "numerator "
      "and s denominator elements (g: geometric mean), computed per cell by kernel geochem.ilr (its first "
      "coordinate for a sequential binary partition that starts with this split) as the derived layer "
      "balance_<name>. Recipe evidence selects it with source {\"kind\": \"balance\", \"element\": name}, or "
      "a "
      "job binds evidence to it with recipes.<c>.evidence.<id>.layer = \"balance_<name>\".");
  balance.add(&BalanceSpec::name, "name", "short name of the balance (layer balance_<name>)")
      .required()
      .pattern("^[a-z][a-z0-9_]{0,31}$");
  balance
      .add(&BalanceSpec::numerator, "numerator", "elements in the numerator (e.g. [\"Ni\", \"Cu\", \"Co\"])")
      .required();
  balance
      .add(&BalanceSpec::denominator, "denominator",
           "elements in the denominator (e.g. [\"Cr\", \"Zn\"]), none of the "
           "numerator's; all elements of one balance come from one geochem_points "
           "input, or all from geochem_grid inputs")
      .required();
  balance.add(&BalanceSpec::input, "input",
              "id of the geochemical input whose elements form the balance (any geochem_grid id selects "
              "the geochem grids together); default: the input holding the first numerator element, point "
              "surveys before grids");
  Decl<GeochemOptions> d("geochem", "Compositional treatment of the geochemical layers.");
  d.add(&GeochemOptions::composition, "composition",
        "none: evidence reads each element's log10 concentration; clr: the centred log-ratio "
        "coefficient (kernel geochem.clr) among the parts of its input (each geochem_points input, or "
        "all geochem_grid inputs together), which removes the closure of compositional data")
      .choices({"none", "clr"});
  d.add(&GeochemOptions::parts, "parts",
        "elements of the composition (e.g. [\"Cu\", \"Ni\", \"Co\"]); empty = every geochemical "
        "element of the job");
  d.add(&GeochemOptions::balances, "balances",
        "isometric log-ratio balances of element groups, each a derived layer", balance);
  return d;
}

Decl<TargetOptions> targets_decl() {
  Decl<TargetOptions> d("targets");
  d.add(&TargetOptions::top_fraction, "top_fraction",
        "targets are the top fraction of valid cells (0.02 = top 2%)")
      .range(0.0, 1.0, true);
  d.add(&TargetOptions::min_cells, "min_cells", "drop targets smaller than this many cells")
      .range(1, std::nullopt);
  d.add(&TargetOptions::max_targets, "max_targets", "keep at most this many ranked targets per commodity")
      .range(1, 100000);
  d.add(&TargetOptions::threshold, "threshold",
        "how the target threshold is chosen: top_fraction, or concentration_area: the highest break of "
        "a three-segment concentration-area (C-A) fractal fit of the score's area-above-threshold "
        "curve above the median (kernel anomaly.ca_fractal), falling back to top_fraction when the "
        "fit finds no break")
      .choices({"top_fraction", "concentration_area"});
  return d;
}

Decl<TrainingSpec> training_decl() {
  Decl<TrainingSpec> d("training", "Known deposits and occurrences for data-driven models and validation.");
  d.add(&TrainingSpec::path, "path",
        "known deposits: a CSV with x/y columns, or any OGR vector (GeoPackage, shapefile, "
        "GeoJSON) of points, relative to the job file")
      .required();
  d.add(&TrainingSpec::layer, "layer", "vector layer name (default: the first layer)");
  d.add(&TrainingSpec::commodity_column, "commodity_column",
        "column holding the commodities of a deposit: symbols or names (cu/copper, li/lithium, ni/nickel, "
        "co/cobalt, sn/tin) in any case, or a list of them separated by , ; / - or + (\"Au-Cu-Co\"); "
        "other commodities in a list are ignored");
  d.add(&TrainingSpec::x_column, "x_column", "CSV: column of x / longitude");
  d.add(&TrainingSpec::y_column, "y_column", "CSV: column of y / latitude");
  d.add(&TrainingSpec::crs, "crs",
        "CRS of the points: required for CSV; for vectors it replaces the layer's own");
  d.add(&TrainingSpec::where_column, "where_column",
        "use only rows whose where_column equals where_value (e.g. kind)");
  d.add(&TrainingSpec::where_value, "where_value", "value of where_column to keep (e.g. deposit)");
  d.add(&TrainingSpec::test_path, "test_path",
        "independent test deposits in the same format, for the prediction-rate curve");
  return d;
}

Decl<Job> make_job_decl() {
  Decl<TilingOptions> tiling(
      "tiling", "Per-cell stages run tile by tile, so memory depends on the tile size, not the survey size.");
  tiling.add(&TilingOptions::tile_size, "tile_size", "tile edge in cells").range(16, 65536);
  tiling
      .add(&TilingOptions::fft_block, "fft_block",
           "FFT transforms of grids larger than this (cells per edge) run on blocks of this size with a "
           "margin of a quarter block")
      .range(64, 65536);
  Decl<PotentialFieldOptions> pf(
      "potential_field",
      "Conventions of the FFT transforms (RTP, continuation, derivatives). auto + mirror are prospector's; "
      "plane + edge_point reproduce GMT grdfft's default (-N+d+e); none + mirror is closest to Harmonica's "
      "transforms after its pad.");
  pf.add(&PotentialFieldOptions::detrend, "detrend",
         "removed before the transform: auto (a least-squares plane for continuation and derivatives, added "
         "back to the continued field and as its constant gradient to d/dx, d/dy; the mean for RTP and "
         "pseudo-gravity), none (GMT -N+l), mean (GMT -N+a) or plane (GMT -N+d, its default)")
      .choices({"auto", "none", "mean", "plane"});
  pf.add(&PotentialFieldOptions::padding, "padding",
         "how the grid is extended into the FFT pad: mirror (even mirror image, cosine taper to 0 at the "
         "pad's end) or edge_point (GMT's default -N+e: f(-m) = 2 f(0) - f(m), cosine taper "
         "0.5 (1 + cos(pi m / (P + 1))) over the whole pad of P cells)")
      .choices({"mirror", "edge_point"});
  pf.add(&PotentialFieldOptions::pad_fraction, "pad_fraction",
         "pad width per side as a fraction of the grid's edge (the padded size is then rounded up to a fast "
         "FFT size, the extra split between the two sides)")
      .range(0.0, 4.0);
  pf.add(&PotentialFieldOptions::min_pad, "min_pad", "fewest pad cells per side").range(0, 65536);
  Decl<OutputOptions> output("output");
  output.add(&OutputOptions::folder, "folder", "output folder, relative to the job file");
  output
      .add(&OutputOptions::name, "name",
           "file name of the gridded output in the output folder (netCDF-4/CF-1.8; with .nc, GDAL, QGIS and "
           "rasterio open it with the netCDF driver, which reads the CRS and target layers from the file "
           "itself); a GDAL .aux.xml sidecar is written beside it")
      .pattern("^[A-Za-z0-9][A-Za-z0-9._-]*[.](nc|nc4|h5)$")
      .max_length(200);
  output
      .add(&OutputOptions::institution, "institution",
           "who made the output (CF global attribute institution), e.g. the survey's organisation")
      .max_length(kMaxTextLength);
  output
      .add(&OutputOptions::comment, "comment",
           "free text appended to the output's CF global attribute comment")
      .max_length(kMaxTextLength);
  output
      .add(&OutputOptions::compression, "compression",
           "grids in the gridded output: deflate (byte shuffle + zlib stream, which every HDF5, netCDF and "
           "GDAL reader decodes) or none (largest file, fastest write)")
      .choices({"none", "deflate"});
  output
      .add(&OutputOptions::deflate_level, "deflate_level",
           "deflate level: 1 is the fastest, 12 the smallest (libdeflate's levels; 1 already gives files no "
           "larger than zlib's level 4)")
      .range(1, 12);
  output
      .add(&OutputOptions::layers, "layers",
           "groups of grids to write: prospectivity (one per commodity), evidence (the anomaly grids the "
           "recipes read, so a geologist sees why a target scores), anomalies (every anomaly grid), "
           "multivariate (RX and principal components, when the job asks for them), learned (posteriors of "
           "the data-driven models), contributions (each evidence's weighted membership, contrib_<c>_<id>), "
           "transforms (the raw FFT transform grids in their units, <layer>_<transform>, plus d/dx and d/dy "
           "of "
           "every magnetics and gravity input, with the potential_field convention in their attributes)")
      .items(1, std::nullopt)
      .item_choices({"prospectivity", "evidence", "anomalies", "multivariate", "learned", "contributions",
                     "transforms"});

  Decl<Job> d("prospector job",
              "A prospector job file (JSON): inputs, analysis grid, commodities to score, recipe "
              "overrides, output folder.");
  d.add(&Job::name, "name", "job name (used in logs and titles)").max_length(kMaxTextLength);
  d.add(&Job::grid, "grid", "analysis grid", grid_decl()).required();
  d.add(&Job::inputs, "inputs", "survey layers", input_decl()).required().items(1, std::nullopt);
  d.add(&Job::commodities, "commodities", "commodities to score")
      .items(1, std::nullopt)
      .item_choices(known_commodities());
  d.add(&Job::recipes, "recipes", "per commodity recipe overrides", recipe_override_decl(),
        known_commodities());
  d.add(&Job::anomaly, "anomaly", "anomaly stage options", anomaly_decl());
  d.add(&Job::geochem, "geochem", "compositional treatment of the geochemical layers", geochem_decl());
  d.add(&Job::targets, "targets", "target extraction options", targets_decl());
  d.add(&Job::tiling, "tiling", "tiling options", tiling);
  d.add(&Job::potential_field, "potential_field", "conventions of the FFT transforms", pf);
  d.add(&Job::training, "training", "known deposits for data-driven models and validation", training_decl());
  d.add(&Job::models, "models", "data-driven model options", prospector::detail::models_decl());
  d.add(&Job::output, "output", "output options", output);
  return d;
}

std::string resolve(const std::string& dir, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_absolute() || p.rfind("/vsi", 0) == 0) return p;
  return (fs::path(dir) / path).lexically_normal().string();
}

// Sets a dotted key inside a JSON document, creating the objects on the way.
void set_dotted(json& doc, const std::string& key, const json& value, const std::string& file,
                const std::string& origin) {
  json* at = &doc;
  std::string rest = key;
  for (;;) {
    if (!at->is_object())
      throw_usage(file + ": " + origin + ": cannot set '" + key +
                  "' because a parent of it is not an object");
    const auto dot = rest.find('.');
    if (dot == std::string::npos) {
      (*at)[rest] = value;
      return;
    }
    std::string head = rest.substr(0, dot);
    const auto bracket = head.find('[');
    if (bracket != std::string::npos) {
      // "inputs[2]": an element that the file already has.
      const std::string index = head.substr(bracket + 1, head.size() - bracket - 2);
      head = head.substr(0, bracket);
      json& arr = (*at)[head];
      char* end = nullptr;
      const long long i = std::strtoll(index.c_str(), &end, 10);
      if (!arr.is_array() || index.empty() || *end != '\0' || i < 0 || static_cast<size_t>(i) >= arr.size())
        throw_usage(file + ": " + origin + ": '" + head + "' has no element [" + index + "]");
      at = &arr[static_cast<size_t>(i)];
    } else {
      at = &(*at)[head];
      if (at->is_null()) *at = json::object();
    }
    rest = rest.substr(dot + 1);
  }
}

// Cross-field checks, all in one pass like the schema's (one line per problem).
void check_job(Job& job, const std::string& file) {
  std::vector<std::string> problems;
  auto report = [&](const std::string& msg) { problems.push_back(msg); };
  if (job.grid.cell_size <= 0 && job.grid.align_to.empty())
    report(file + ": key 'grid.cell_size': is required (cell size in grid CRS units) unless grid.align_to "
                  "names an input");
  if (!job.grid.align_to.empty()) {
    const auto it = std::find_if(job.inputs.begin(), job.inputs.end(),
                                 [&](const InputSpec& in) { return in.id == job.grid.align_to; });
    if (it == job.inputs.end())
      report(file + ": key 'grid.align_to': '" + job.grid.align_to + "' is not an input id");
    else if (it->kind == "geochem_points" || is_vector_kind(it->kind))
      report(file + ": key 'grid.align_to': '" + job.grid.align_to + "' is a " +
             (it->kind == "geochem_points" ? "point" : "vector") + " input; name a raster input");
  }
  if (job.grid.extent_mode == "explicit" &&
      (job.grid.extent[2] <= job.grid.extent[0] || job.grid.extent[3] <= job.grid.extent[1]))
    report(file + ": key 'grid.extent': xmax must exceed xmin and ymax must exceed ymin");
  std::set<std::string> ids;
  for (size_t i = 0; i < job.inputs.size(); ++i) {
    InputSpec& in = job.inputs[i];
    const std::string where = file + ": key 'inputs[" + std::to_string(i) + "]";
    for (auto& p : in.paths)
      p = resolve(job.dir, p);
    in.path = resolve(job.dir, in.path);
    if (!ids.insert(in.id).second) report(where + ".id': duplicate id '" + in.id + "' (ids must be unique)");
    const bool points = in.kind == "geochem_points";
    if (in.kind == "radiometric" && !contains({"K", "Th", "U", "TC", "U/Th", "K/Th", "U/K"}, in.element))
      report(where + ".element': radiometric inputs need element K, Th, U, TC or a ratio U/Th, K/Th, U/K");
    if (in.kind == "geochem_grid" && in.element.empty())
      report(where + ".element': geochem_grid inputs need the element symbol, e.g. \"Cu\"");
    if (points && !in.paths.empty()) report(where + ".path': geochem_points takes one CSV file");
    if (points && in.gridding.min_points > in.gridding.max_points)
      report(where + ".gridding.min_points': must not exceed max_points");
    prospector::detail::check_vector_input(in, where);
    in.class_file = resolve(job.dir, in.class_file);
  }
  std::vector<std::string> seen_commodities;
  for (const auto& c : job.commodities) {
    if (contains(seen_commodities, c)) report(file + ": key 'commodities': '" + c + "' listed twice");
    seen_commodities.push_back(c);
  }
  for (auto& [c, ro] : job.recipes)
    ro.path = resolve(job.dir, ro.path);
  for (const auto& id : job.anomaly.rx_layers)
    if (!ids.count(id)) report(file + ": key 'anomaly.rx_layers': '" + id + "' is not an input id");
  for (size_t i = 0; i < job.geochem.balances.size(); ++i) {
    const BalanceSpec& spec = job.geochem.balances[i];
    const std::string key = "geochem.balances[" + std::to_string(i) + "]";
    if (spec.numerator.empty() || spec.denominator.empty())
      report(file + ": key '" + key +
             "': a balance needs at least one numerator and one denominator element");
    std::vector<std::string> seen;
    for (const auto* side : {&spec.numerator, &spec.denominator})
      for (const auto& e : *side) {
        if (std::any_of(seen.begin(), seen.end(), [&](const std::string& x) { return iequals(x, e); }))
          report(file + ": key '" + key + "': element '" + e +
                 "' appears twice; each element may be in the numerator or the denominator, once");
        seen.push_back(e);
      }
    for (size_t k = 0; k < i; ++k)
      if (job.geochem.balances[k].name == spec.name)
        report(file + ": key '" + key + ".name': balance '" + spec.name + "' is defined twice");
  }
  job.training.path = resolve(job.dir, job.training.path);
  job.training.test_path = resolve(job.dir, job.training.test_path);
  if (job.training.where_column.empty() != job.training.where_value.empty())
    report(file + ": key 'training.where_column': give where_column and where_value together");
  prospector::detail::check_model_options(job.models, file, report);
  job.models.study_area = resolve(job.dir, job.models.study_area);
  if (!job.models.study_area_layer.empty() && job.models.study_area.empty())
    report(file + ": key 'models.study_area_layer': give models.study_area too");
  if (job.output.folder.empty())
    report(file + ": key 'output.folder': must not be empty (give a folder, e.g. \"out\")");
  job.output.folder = resolve(job.dir, job.output.folder);
  prospector::detail::check_output_paths(job, file, report);
  job.recipe_dir = default_recipe_dir();
  const bool truncated = problems.size() > options::kMaxReportedErrors;
  if (truncated) problems.resize(options::kMaxReportedErrors);
  options::throw_if_any(problems, truncated, file);
}

} // namespace

const Decl<Job>& job_decl() {
  static const Decl<Job> decl = make_job_decl();
  return decl;
}

const ObjectSpec& job_spec() { return job_decl().spec(); }

json to_json(const Job& job) { return job_decl().dump(job); }

namespace {

// The JSON form of a job section, from its declaration (built once per section type).
template <class T, Decl<T> (*Make)()> void dump_section(json& j, const T& v) {
  static const Decl<T> d = Make();
  j = d.dump(v);
}

} // namespace

void to_json(json& j, const InputSpec& v) { dump_section<InputSpec, input_decl>(j, v); }
void to_json(json& j, const AnomalyOptions& v) { dump_section<AnomalyOptions, anomaly_decl>(j, v); }
void to_json(json& j, const TargetOptions& v) { dump_section<TargetOptions, targets_decl>(j, v); }
void to_json(json& j, const TrainingSpec& v) { dump_section<TrainingSpec, training_decl>(j, v); }
void to_json(json& j, const ModelOptions& v) {
  dump_section<ModelOptions, prospector::detail::models_decl>(j, v);
}

JobOverride parse_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw_usage("--set '" + assignment + "': expected KEY=VALUE, e.g. --set anomaly.local_radius=10");
  JobOverride o;
  o.key = assignment.substr(0, eq);
  o.origin = "--set " + assignment;
  const Field* f = find_field(job_spec(), o.key);
  if (!f || f->type == Type::Object)
    throw_usage("--set '" + assignment + "': '" + o.key +
                "' is not a job option (see `prospector schema job`)");
  const std::string text = assignment.substr(eq + 1);
  try {
    o.value = json::parse(text);
  } catch (const json::exception&) {
    o.value = text;
  }
  if (f->type == Type::String && f->alternatives.empty() && !o.value.is_string()) o.value = text;
  return o;
}

std::string default_recipe_dir() {
  if (const char* env = std::getenv("PROSPECTOR_RECIPES")) return env;
  const fs::path src = fs::path(PROSPECTOR_SOURCE_DIR) / "jobs" / "recipes";
  if (fs::exists(src / "cu.json")) return src.string();
  return (fs::path(PROSPECTOR_DATA_DIR) / "recipes").string();
}

Job load_job(const std::string& path, const std::vector<JobOverride>& overrides) {
  Job job;
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  job.path = abs.lexically_normal().string();
  job.dir = abs.parent_path().lexically_normal().string();
  job.text = read_json_file(path, "job file", path);
  const std::string file = path;
  json doc = parse_json(job.text, file);
  for (const auto& o : overrides)
    set_dotted(doc, o.key, o.value, file, o.origin);
  const json v = validate(doc, job_spec(), file);
  job_decl().load(v, job);
  check_job(job, file);
  return job;
}

} // namespace prospector
