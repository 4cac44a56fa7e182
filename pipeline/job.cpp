#include "pipeline/job.hpp"

#include "pipeline/errors.hpp"
#include "pipeline/strings.hpp"

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
  static const std::vector<std::string> k = {"magnetics", "gravity", "radiometric", "em", "geochem_grid",
                                             "geochem_points"};
  return k;
}

namespace {

Field path_field() {
  Field one = str("path", "a file, or a folder whose rasters matching `pattern` are mosaicked");
  Field many = array_of("path", "files mosaicked through a VRT (survey tiles)", str("", "file"));
  many.min_items = 1;
  Field f = required(str("path", "file path, relative to the job file: any raster GDAL opens, a folder of raster "
                                 "tiles, a list of raster files (mosaicked), or a CSV for geochem_points"));
  f.alternatives = {one, many};
  return f;
}

std::shared_ptr<ObjectSpec> make_job_spec() {
  auto grid = std::make_shared<ObjectSpec>();
  grid->title = "grid";
  grid->description = "The analysis grid every layer is resampled onto (north-up).";
  Field extent_box = array_of("extent", "[xmin, ymin, xmax, ymax] in the grid CRS", num("", "coordinate"));
  extent_box.min_items = extent_box.max_items = 4;
  Field extent_mode = choices(str("extent", "union or intersection of the inputs' extents"), {"union", "intersection"});
  Field extent = str("extent", "explicit box [xmin, ymin, xmax, ymax] in the grid CRS, or \"union\" / "
                               "\"intersection\" of the raster inputs' extents",
                     "intersection");
  extent.alternatives = {extent_box, extent_mode};
  grid->fields = {required(str("crs", "CRS of the analysis grid, e.g. \"EPSG:28350\" (any GDAL/PROJ user input)")),
                  required(range(num("cell_size", "cell size in grid CRS units"), 0.0, std::nullopt, true)),
                  extent};

  auto element = std::make_shared<ObjectSpec>();
  element->title = "element";
  element->fields = {
      required(str("element", "element symbol, e.g. Cu")),
      required(str("column", "CSV column holding its concentration")),
      str("units", "concentration units", "ppm"),
  };
  element->fields[0].pattern = "^[A-Z][a-z]?$";

  auto bdl = std::make_shared<ObjectSpec>();
  bdl->title = "below_detection";
  bdl->description = "How below-detection values are written. \"<DL\" strings are always read as censored at DL.";
  bdl->fields = {
      boolean("negative_values", "a negative value -v means below detection limit v", false),
      boolean("zero_means_missing", "0 means not analysed: the value is skipped and counted", false),
      choices(str("substitute", "value substituted for a censored sample", "half_dl"), {"half_dl", "dl_sqrt2_over_2"}),
  };

  auto gridding = std::make_shared<ObjectSpec>();
  gridding->title = "gridding";
  gridding->description = "Gridding of point samples with GDAL's gridding API (GDALGridCreate).";
  gridding->fields = {
      choices(str("method", "invdist: inverse distance to a power within the radius; nearest: nearest sample",
                  "invdist"),
              {"invdist", "nearest"}),
      range(num("power", "inverse-distance power", 2.0), 0.0, 10.0, true),
      range(num("radius", "search radius in grid map units; 0 = 4 cells", 0.0), 0.0, std::nullopt),
      range(integer("max_points", "most samples used per cell", 12), 1, 1000),
      range(integer("min_points", "fewest samples for a value (else nodata)", 1), 1, 1000),
  };

  auto input = std::make_shared<ObjectSpec>();
  input->title = "input";
  input->description = "One survey layer: a raster GDAL opens, or a CSV of geochemical point samples.";
  Field id = required(str("id", "unique short name of the layer, used in outputs and overrides"));
  id.pattern = "^[a-z][a-z0-9_]{0,31}$";
  input->fields = {
      id,
      required(choices(str("kind", "what the layer measures"), input_kinds())),
      path_field(),
      str("pattern", "when path is a folder: file name pattern of its rasters (fnmatch)", "*.tif"),
      str("element", "radiometric: K, Th, U, TC or a ratio (U/Th, K/Th, U/K); geochem_grid: element symbol"),
      str("units", "units of the values (recorded in the output)"),
      num("nodata", "nodata value overriding the file's own"),
      choices(str("resampling", "warp resampling; auto = bilinear, or average when coarsening by more than 1.5x",
                  "auto"),
              {"auto", "nearest", "bilinear", "cubic", "cubicspline", "average", "min", "max", "med"}),
      range(integer("band", "raster band (1-based)", 1), 1, 65535),
      str("crs", "CRS of a raster that has none, or of the CSV x/y columns (geochem_points: required)"),
      range(num("inclination", "magnetics: geomagnetic field inclination in degrees (positive down), for "
                               "reduction to the pole and pseudo-gravity"),
            -90.0, 90.0),
      range(num("declination", "magnetics: geomagnetic field declination in degrees east of grid north"), -180.0,
            360.0),
      range(num("upward_height", "height in metres for the upward_continuation filter", 500.0), 0.0, std::nullopt),
      str("x_column", "geochem_points: column of x / longitude"),
      str("y_column", "geochem_points: column of y / latitude"),
      choices(str("delimiter", "geochem_points: field separator", ","), {",", ";", "\t", "|"}),
      array_of("elements", "geochem_points: element columns to grid", element),
      object("below_detection", "geochem_points: below-detection conventions", bdl),
      object("gridding", "geochem_points: gridding parameters", gridding),
  };

  auto evo = std::make_shared<ObjectSpec>();
  evo->title = "evidence_override";
  evo->fields = {range(num("weight", "replacement weight"), 0.0, std::nullopt),
                 str("layer", "bind the evidence to this input layer id (geochem points: id.element, e.g. soil.cu)")};
  auto recipe_override = std::make_shared<ObjectSpec>();
  recipe_override->title = "recipe_override";
  recipe_override->fields = {
      str("path", "replacement recipe file, relative to the job file"),
      map_of("evidence", "per evidence id overrides", evo, {}),
      range(num("top_fraction", "target threshold for this commodity (fraction of valid cells)"), 0.0, 1.0, true),
      range(num("min_weight_fraction", "replaces the recipe's combination.min_weight_fraction"), 0.0, 1.0),
  };

  auto anomaly = std::make_shared<ObjectSpec>();
  anomaly->title = "anomaly";
  anomaly->fields = {
      range(integer("local_radius", "moving-window radius in cells for local z-scores", 15), 1, 10000),
      boolean("rx", "compute the RX (Mahalanobis) anomaly over a layer stack", true),
      array_of("rx_layers", "input ids for the RX anomaly; empty = all magnetics, gravity, radiometric, em layers",
               str("", "input id")),
      choices(str("rx_covariance",
                  "mean and covariance of the RX (and PCA) layer stack: classical (all cells), or mcd: the robust "
                  "FAST-MCD estimate (kernel anomaly.mcd) from a sample of cells chosen by position, so that "
                  "anomalous cells do not inflate the covariance that is meant to find them",
                  "classical"),
              {"classical", "mcd"}),
      range(integer("robust_sample", "cells sampled (every k-th cell in grid order) for the MCD estimate", 20000),
            100, 1000000),
      range(integer("pca_components",
                    "principal-component score grids of the RX layer stack (correlation matrix of its robust "
                    "z-scores, from the rx_covariance estimate): anomaly_pc1 ..; 0 = none",
                    0),
            0, 64),
  };

  auto balance = std::make_shared<ObjectSpec>();
  balance->title = "balance";
  balance->description =
      "An isometric log-ratio balance z = sqrt(r s / (r + s)) ln(g(numerator) / g(denominator)) of r "
      "numerator "
      "and s denominator elements (g: geometric mean), computed per cell by kernel geochem.ilr (its first "
      "coordinate for a sequential binary partition that starts with this split) as the derived layer "
      "balance_<name>. Recipe evidence selects it with source {\"kind\": \"balance\", \"element\": name}, or "
      "a "
      "job binds evidence to it with recipes.<c>.evidence.<id>.layer = \"balance_<name>\".";
  Field balance_name = required(str("name", "short name of the balance (layer balance_<name>)"));
  balance_name.pattern = "^[a-z][a-z0-9_]{0,31}$";
  balance->fields = {
      balance_name,
      required(array_of("numerator", "elements in the numerator (e.g. [\"Ni\", \"Cu\", \"Co\"])",
                        str("", "element"))),
      required(array_of("denominator",
                        "elements in the denominator (e.g. [\"Cr\", \"Zn\"]), none of the "
                        "numerator's; all elements of one balance come from one geochem_points "
                        "input, or all from geochem_grid inputs",
                        str("", "element"))),
      str("input",
          "id of the geochemical input whose elements form the balance (any geochem_grid id selects "
          "the geochem grids together); default: the input holding the first numerator element, point "
          "surveys before grids"),
  };

  auto geochem = std::make_shared<ObjectSpec>();
  geochem->title = "geochem";
  geochem->description = "Compositional treatment of the geochemical layers.";
  geochem->fields = {
      choices(
          str("composition",
              "none: evidence reads each element's log10 concentration; clr: the centred log-ratio "
              "coefficient (kernel geochem.clr) among the parts of its input (each geochem_points input, or "
              "all geochem_grid inputs together), which removes the closure of compositional data",
              "none"),
          {"none", "clr"}),
      array_of("parts",
               "elements of the composition (e.g. [\"Cu\", \"Ni\", \"Co\"]); empty = every geochemical "
               "element of the job",
               str("", "element")),
      array_of("balances", "isometric log-ratio balances of element groups, each a derived layer", balance),
  };

  auto targets = std::make_shared<ObjectSpec>();
  targets->title = "targets";
  targets->fields = {
      range(num("top_fraction", "targets are the top fraction of valid cells (0.02 = top 2%)", 0.02), 0.0, 1.0, true),
      range(integer("min_cells", "drop targets smaller than this many cells", 1), 1, std::nullopt),
      range(integer("max_targets", "keep at most this many ranked targets per commodity", 50), 1, 100000),
      choices(str("threshold",
                  "how the target threshold is chosen: top_fraction, or concentration_area: the highest break of "
                  "a three-segment concentration-area (C-A) fractal fit of the score's area-above-threshold "
                  "curve above the median (kernel anomaly.ca_fractal), falling back to top_fraction when the "
                  "fit finds no break",
                  "top_fraction"),
              {"top_fraction", "concentration_area"}),
  };

  auto tiling = std::make_shared<ObjectSpec>();
  tiling->title = "tiling";
  tiling->description = "Per-cell stages run tile by tile, so memory depends on the tile size, not the survey size.";
  tiling->fields = {range(integer("tile_size", "tile edge in cells", 1024), 16, 65536),
                    range(integer("fft_block", "FFT transforms of grids larger than this (cells per edge) run on "
                                               "blocks of this size with a margin of a quarter block",
                                  4096),
                          64, 65536)};

  auto training = std::make_shared<ObjectSpec>();
  training->title = "training";
  training->description = "Known deposits and occurrences for data-driven models and validation.";
  training->fields = {
      required(str("path", "known deposits: a CSV with x/y columns, or any OGR vector (GeoPackage, shapefile, "
                           "GeoJSON) of points, relative to the job file")),
      str("layer", "vector layer name (default: the first layer)"),
      str("commodity_column", "column holding the commodity (cu, li, ni, co, sn)", "commodity"),
      str("x_column", "CSV: column of x / longitude", "x"),
      str("y_column", "CSV: column of y / latitude", "y"),
      str("crs", "CRS of the points: required for CSV; for vectors it replaces the layer's own"),
      str("where_column", "use only rows whose where_column equals where_value (e.g. kind)"),
      str("where_value", "value of where_column to keep (e.g. deposit)"),
      str("test_path", "independent test deposits in the same format, for the prediction-rate curve"),
  };
  auto models = std::make_shared<ObjectSpec>();
  models->title = "models";
  models->description = "Data-driven models fitted to the training deposits over each recipe's evidence.";
  Field fractions = array_of("capture_fractions", "area fractions for capture efficiency",
                             range(num("", "area fraction"), 0.0, 1.0));
  fractions.default_value = nlohmann::json::array({0.01, 0.02, 0.05, 0.1, 0.2});
  models->fields = {
      boolean("wofe", "weights-of-evidence posterior per commodity with training deposits", true),
      boolean("logistic", "regularised logistic regression per commodity with training deposits", true),
      range(num("lambda", "L2 penalty of the logistic regression (on standardised coefficients)", 0.01), 0.0,
            std::nullopt),
      range(integer("classes", "equal-width membership classes per evidence layer for weights of evidence", 4), 2, 20),
      range(integer("folds", "folds of the spatially blocked cross-validation", 5), 2, 50),
      range(num("block_size", "cross-validation block edge in grid map units; 0 = 20 cells", 0.0), 0.0, std::nullopt),
      fractions,
  };

  auto output = std::make_shared<ObjectSpec>();
  output->title = "output";
  output->fields = {str("folder", "output folder, relative to the job file", "out")};

  auto job = std::make_shared<ObjectSpec>();
  job->title = "prospector job";
  job->description = "A prospector job file (JSON): inputs, analysis grid, commodities to score, recipe overrides, "
                     "output folder.";
  Field commodities = array_of("commodities", "commodities to score",
                               choices(str("", "commodity"), known_commodities()));
  commodities.min_items = 1;
  commodities.default_value = known_commodities();
  Field inputs = required(array_of("inputs", "survey layers", input));
  inputs.min_items = 1;
  job->fields = {
      str("name", "job name (used in logs and titles)", "prospector job"),
      required(object("grid", "analysis grid", grid)),
      inputs,
      commodities,
      map_of("recipes", "per commodity recipe overrides", recipe_override, known_commodities()),
      object("anomaly", "anomaly stage options", anomaly),
      object("geochem", "compositional treatment of the geochemical layers", geochem),
      object("targets", "target extraction options", targets),
      object("tiling", "tiling options", tiling),
      object("training", "known deposits for data-driven models and validation", training),
      object("models", "data-driven model options", models),
      object("output", "output options", output),
  };
  return job;
}

std::string resolve(const std::string& dir, const std::string& p) {
  if (p.empty()) return p;
  fs::path path(p);
  if (path.is_absolute() || p.rfind("/vsi", 0) == 0) return p;
  return (fs::path(dir) / path).lexically_normal().string();
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

} // namespace

const ObjectSpec& job_spec() {
  static const std::shared_ptr<ObjectSpec> spec = make_job_spec();
  return *spec;
}

std::string default_recipe_dir() {
  if (const char* env = std::getenv("PROSPECTOR_RECIPES")) return env;
  const fs::path src = fs::path(PROSPECTOR_SOURCE_DIR) / "jobs" / "recipes";
  if (fs::exists(src / "cu.json")) return src.string();
  return (fs::path(PROSPECTOR_DATA_DIR) / "recipes").string();
}

Job load_job(const std::string& path) {
  Job job;
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  job.path = abs.lexically_normal().string();
  job.dir = abs.parent_path().lexically_normal().string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_usage(path + ": cannot read the job file (does it exist and is it readable?)");
  std::stringstream ss;
  ss << in.rdbuf();
  job.text = ss.str();
  const std::string file = path;
  const json v = validate(parse_json(job.text, file), job_spec(), file);

  job.name = v["name"];
  const json& g = v["grid"];
  job.grid.crs = g["crs"];
  job.grid.cell_size = g["cell_size"];
  if (g["extent"].is_array()) {
    for (int i = 0; i < 4; ++i) job.grid.extent[i] = g["extent"][i];
    if (job.grid.extent[2] <= job.grid.extent[0] || job.grid.extent[3] <= job.grid.extent[1])
      throw_usage(file + ": key 'grid.extent': xmax must exceed xmin and ymax must exceed ymin");
  } else {
    job.grid.extent_mode = g["extent"];
  }

  std::set<std::string> ids;
  for (size_t i = 0; i < v["inputs"].size(); ++i) {
    const json& j = v["inputs"][i];
    const std::string where = file + ": key 'inputs[" + std::to_string(i) + "]";
    InputSpec in;
    in.id = j["id"];
    in.kind = j["kind"];
    if (j["path"].is_array()) {
      for (const auto& p : j["path"]) in.paths.push_back(resolve(job.dir, p.get<std::string>()));
      in.path_as_written = j["path"][0].get<std::string>() + " (+" + std::to_string(j["path"].size() - 1) + " more)";
      in.path = in.paths.front();
    } else {
      in.path_as_written = j["path"];
      in.path = resolve(job.dir, in.path_as_written);
    }
    in.pattern = j["pattern"];
    in.element = j.value("element", "");
    in.units = j.value("units", "");
    if (j.contains("nodata")) in.nodata = j["nodata"].get<double>();
    in.resampling = j["resampling"];
    in.band = j["band"];
    in.crs = j.value("crs", "");
    if (j.contains("inclination")) in.inclination = j["inclination"].get<double>();
    if (j.contains("declination")) in.declination = j["declination"].get<double>();
    in.upward_height = j.value("upward_height", 500.0);
    if (!ids.insert(in.id).second) throw_usage(where + ".id': duplicate id '" + in.id + "' (ids must be unique)");
    const bool points = in.kind == "geochem_points";
    if (in.kind == "radiometric" && !contains({"K", "Th", "U", "TC", "U/Th", "K/Th", "U/K"}, in.element))
      throw_usage(where + ".element': radiometric inputs need element K, Th, U, TC or a ratio U/Th, K/Th, U/K");
    if (in.kind == "geochem_grid" && in.element.empty())
      throw_usage(where + ".element': geochem_grid inputs need the element symbol, e.g. \"Cu\"");
    if (points && !in.paths.empty()) throw_usage(where + ".path': geochem_points takes one CSV file");
    if (points) {
      for (const char* k : {"x_column", "y_column", "crs", "elements"})
        if (!j.contains(k)) throw_usage(where + "." + k + "': required for kind geochem_points");
      in.x_column = j["x_column"];
      in.y_column = j["y_column"];
      in.delimiter = j["delimiter"].get<std::string>()[0];
      for (const auto& e : j["elements"]) in.elements.push_back({e["element"], e["column"], e["units"]});
      if (in.elements.empty()) throw_usage(where + ".elements': list at least one element column");
      const json b = j.value("below_detection", json::object());
      in.below_detection.negative_values = b.value("negative_values", false);
      in.below_detection.zero_means_missing = b.value("zero_means_missing", false);
      in.below_detection.substitute = b.value("substitute", "half_dl");
      const json gr = j.value("gridding", json::object());
      in.gridding.method = gr.value("method", "invdist");
      in.gridding.power = gr.value("power", 2.0);
      in.gridding.radius = gr.value("radius", 0.0);
      in.gridding.max_points = gr.value("max_points", 12);
      in.gridding.min_points = gr.value("min_points", 1);
      if (in.gridding.min_points > in.gridding.max_points)
        throw_usage(where + ".gridding.min_points': must not exceed max_points");
    } else {
      for (const char* k : {"x_column", "y_column", "elements", "below_detection", "gridding"})
        if (j.contains(k)) throw_usage(where + "." + k + "': only allowed for kind geochem_points");
    }
    job.inputs.push_back(std::move(in));
  }

  for (const auto& c : v["commodities"]) {
    if (contains(job.commodities, c)) throw_usage(file + ": key 'commodities': '" + c.get<std::string>() + "' listed twice");
    job.commodities.push_back(c);
  }
  if (v.contains("recipes")) {
    for (auto it = v["recipes"].begin(); it != v["recipes"].end(); ++it) {
      RecipeOverride ro;
      ro.path = resolve(job.dir, it->value("path", ""));
      if (it->contains("top_fraction")) ro.top_fraction = (*it)["top_fraction"].get<double>();
      if (it->contains("min_weight_fraction")) ro.min_weight_fraction = (*it)["min_weight_fraction"].get<double>();
      if (it->contains("evidence"))
        for (auto e = (*it)["evidence"].begin(); e != (*it)["evidence"].end(); ++e) {
          EvidenceOverride eo;
          if (e->contains("weight")) eo.weight = (*e)["weight"].get<double>();
          eo.layer = e->value("layer", "");
          ro.evidence[e.key()] = eo;
        }
      job.recipes[it.key()] = ro;
    }
  }
  const json an = v.value("anomaly", json::object());
  job.anomaly.local_radius = an.value("local_radius", 15);
  job.anomaly.rx = an.value("rx", true);
  for (const auto& l : an.value("rx_layers", json::array())) {
    const std::string id = l;
    if (!ids.count(id)) throw_usage(file + ": key 'anomaly.rx_layers': '" + id + "' is not an input id");
    job.anomaly.rx_layers.push_back(id);
  }
  job.anomaly.rx_covariance = an.value("rx_covariance", "classical");
  job.anomaly.robust_sample = an.value("robust_sample", 20000);
  job.anomaly.pca_components = an.value("pca_components", 0);
  const json gc = v.value("geochem", json::object());
  job.geochem.composition = gc.value("composition", "none");
  for (const auto& e : gc.value("parts", json::array()))
    job.geochem.parts.push_back(e.get<std::string>());
  const json balances = gc.value("balances", json::array());
  for (size_t i = 0; i < balances.size(); ++i) {
    const json& b = balances[i];
    BalanceSpec spec;
    spec.name = b["name"].get<std::string>();
    const std::string key = "geochem.balances[" + std::to_string(i) + "]";
    for (const auto& e : b["numerator"])
      spec.numerator.push_back(e.get<std::string>());
    for (const auto& e : b["denominator"])
      spec.denominator.push_back(e.get<std::string>());
    spec.input = b.value("input", "");
    if (spec.numerator.empty() || spec.denominator.empty())
      throw_usage(file + ": key '" + key +
                  "': a balance needs at least one numerator and one denominator element");
    std::vector<std::string> seen;
    for (const auto* side : {&spec.numerator, &spec.denominator})
      for (const auto& e : *side) {
        if (std::any_of(seen.begin(), seen.end(), [&](const std::string& x) { return iequals(x, e); }))
          throw_usage(file + ": key '" + key + "': element '" + e +
                      "' appears twice; each element may be in the numerator or the denominator, once");
        seen.push_back(e);
      }
    for (const auto& other : job.geochem.balances)
      if (other.name == spec.name)
        throw_usage(file + ": key '" + key + ".name': balance '" + spec.name + "' is defined twice");
    job.geochem.balances.push_back(spec);
  }
  const json tg = v.value("targets", json::object());
  job.targets.top_fraction = tg.value("top_fraction", 0.02);
  job.targets.min_cells = tg.value("min_cells", 1);
  job.targets.max_targets = tg.value("max_targets", 50);
  job.targets.threshold = tg.value("threshold", "top_fraction");
  job.tile_size = v.value("tiling", json::object()).value("tile_size", 1024);
  job.fft_block = v.value("tiling", json::object()).value("fft_block", 4096);
  if (v.contains("training")) {
    const json& t = v["training"];
    job.training.path = resolve(job.dir, t["path"]);
    job.training.layer = t.value("layer", "");
    job.training.commodity_column = t["commodity_column"];
    job.training.x_column = t["x_column"];
    job.training.y_column = t["y_column"];
    job.training.crs = t.value("crs", "");
    job.training.where_column = t.value("where_column", "");
    job.training.where_value = t.value("where_value", "");
    job.training.test_path = resolve(job.dir, t.value("test_path", ""));
    if (job.training.where_column.empty() != job.training.where_value.empty())
      throw_usage(file + ": key 'training.where_column': give where_column and where_value together");
  }
  const json mo = v.value("models", json::object());
  job.models.wofe = mo.value("wofe", true);
  job.models.logistic = mo.value("logistic", true);
  job.models.lambda = mo.value("lambda", 0.01);
  job.models.classes = mo.value("classes", 4);
  job.models.folds = mo.value("folds", 5);
  job.models.block_size = mo.value("block_size", 0.0);
  if (mo.contains("capture_fractions")) job.models.capture_fractions = mo["capture_fractions"].get<std::vector<double>>();
  const json out = v.value("output", json::object());
  job.output_folder = resolve(job.dir, out.value("folder", "out"));
  job.recipe_dir = default_recipe_dir();
  return job;
}

} // namespace prospector
