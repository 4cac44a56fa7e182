#include "pipeline/job/recipe.hpp"

#include "pipeline/base/errors.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace prospector {

using nlohmann::json;
using namespace options;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<ObjectSpec> make_recipe_spec() {
  auto selector = std::make_shared<ObjectSpec>();
  selector->title = "layer_selector";
  selector->description = "Selects an input layer by what it measures.";
  selector->fields = {
      required(
          choices(str("kind", "layer kind; geochem matches geochem_points elements and geochem_grid inputs; "
                              "balance matches a job's geochem.balances entry by name"),
                  {"magnetics", "gravity", "radiometric", "em", "geochem", "balance", "raster",
                   "categorical_raster", "geology", "structures", "features"})),
      str("element", "element (radiometric K/Th/U/TC, geochem symbol), the balance name, the unit of a "
                     "geology contact, or the element label of a raster input (e.g. slope)"),
      choices(str("measure", "geology: unit (the categorical map, default) or contact (distance to the "
                             "contact of the unit named in element); structures, features: distance "
                             "(default) or density; categorical_raster: unit"),
              {"unit", "contact", "distance", "density"}),
      choices(str("filter",
                  "potential-field transform of the layer, computed on the whole grid with FFTs "
                  "(kernels potential_field.*): rtp, pseudo_gravity (need the input's inclination "
                  "and declination), upward_continuation (input's upward_height), vertical_derivative, "
                  "derivative_x, derivative_y, total_horizontal_gradient, tilt_derivative, analytic_signal"),
              {"rtp", "pseudo_gravity", "upward_continuation", "vertical_derivative", "derivative_x",
               "derivative_y", "total_horizontal_gradient", "tilt_derivative", "analytic_signal"}),
  };
  auto membership = std::make_shared<ObjectSpec>();
  membership->title = "membership";
  membership->description = "Fuzzy membership function mapping the transformed evidence to [0, 1].";
  membership->fields = {
      required(
          choices(str("shape", "membership shape"), {"linear", "large", "small", "logistic", "gaussian"})),
      num("low", "linear: value with membership 0", 0.0),
      num("high", "linear: value with membership 1", 1.0),
      num("midpoint", "large/small/logistic/gaussian: centre", 0.0),
      range(num("spread", "large/small/logistic/gaussian: steepness", 1.0), 0.0, std::nullopt, true),
  };
  Field categories = map_of("categories",
                            "category: favourability table, unit (class) name -> membership in [0, 1], e.g. "
                            "{\"ultramafic\": 1.0, \"volcanics\": 0.3}",
                            nullptr, {});
  categories.items = std::make_shared<Field>(range(num("", "membership"), 0.0, 1.0));
  auto evidence = std::make_shared<ObjectSpec>();
  evidence->title = "evidence";
  Field id = required(str("id", "evidence id (unique in the recipe)"));
  id.pattern = "^[a-z][a-z0-9_]{0,31}$";
  evidence->fields = {
      id,
      required(object("source", "the layer this evidence is computed from", selector)),
      object("ratio_to", "evidence is source / ratio_to, e.g. K/Th for potassic alteration", selector),
      required(choices(str("transform",
                           "robust_z: global median/MAD z-score; local_z: moving-window z-score; "
                           "abs_local_z: |local_z|; gi_star: Getis-Ord Gi* hot-spot z-score over "
                           "the same window (anomaly.local_radius); neg_*: sign flipped (lows); value: "
                           "the layer's own values (a distance in map units, a density, a raster); "
                           "category: the favourability table `categories` of a categorical layer"),
                       {"robust_z", "neg_robust_z", "local_z", "neg_local_z", "abs_local_z", "gi_star",
                        "neg_gi_star", "value", "category"})),
      object("membership",
             "fuzzy membership of the transformed evidence (every transform but category), e.g. linear "
             "with low 2000 and high 0 for \"within 2 km of a fault, decreasing\"",
             membership),
      categories,
      range(num("other", "category: membership of the units the table does not list (default 0)"), 0.0, 1.0),
      required(range(num("weight", "relative weight"), 0.0, std::nullopt, true)),
      str("rationale", "why the deposit model expects this evidence", ""),
      boolean(
          "optional",
          "when the job has no layer for this evidence, leave it out of the recipe weight (as if the recipe "
          "did not name it), so recipes can use geology and structure where a job supplies them and score "
          "as before where it does not",
          false),
  };
  auto combination = std::make_shared<ObjectSpec>();
  combination->title = "combination";
  combination->fields = {
      range(num("min_weight_fraction",
                "cells where the evidence present carries less than this share of the total "
                "weight get no score",
                0.3),
            0.0, 1.0),
      choices(str("operator",
                  "weighted_mean: weighted mean of the memberships (default); and, or, product, "
                  "sum, gamma: fuzzy operators (Bonham-Carter 1994) on the memberships, weights "
                  "only ranking the evidence",
                  "weighted_mean"),
              {"weighted_mean", "and", "or", "product", "sum", "gamma"}),
      range(num("gamma", "gamma of the gamma operator: 0 = product, 1 = algebraic sum", 0.9), 0.0, 1.0)};
  auto recipe = std::make_shared<ObjectSpec>();
  recipe->title = "prospector recipe";
  recipe->description =
      "Knowledge-driven prospectivity recipe for one commodity: evidence layers, memberships and "
      "weights grounded in a deposit model.";
  Field ev = required(array_of("evidence", "evidence layers", evidence));
  ev.min_items = 1;
  recipe->fields = {
      required(choices(str("commodity", "commodity scored"), known_commodities())),
      required(max_length(str("name", "short name of the model"), kMaxTextLength)),
      required(str("deposit_model", "the deposit model and its citation")),
      array_of("references", "further references", str("", "reference")),
      ev,
      object("combination", "how evidence is combined", combination),
  };
  return recipe;
}

LayerSelector selector(const json& j) {
  return {j["kind"], j.value("element", ""), j.value("filter", ""), j.value("measure", "")};
}

kernels::MembershipShape shape(const std::string& s, const std::string& where) {
  if (s == "linear") return kernels::MembershipShape::Linear;
  if (s == "large") return kernels::MembershipShape::Large;
  if (s == "small") return kernels::MembershipShape::Small;
  if (s == "gaussian") return kernels::MembershipShape::Gaussian;
  if (s == "logistic") return kernels::MembershipShape::Logistic;
  throw_usage(where + ": unknown membership shape '" + s +
              "' (use linear, large, small, logistic or gaussian)");
}

} // namespace

std::string default_measure(const std::string& kind) {
  if (kind == "geology" || kind == "categorical_raster") return "unit";
  if (kind == "structures" || kind == "features") return "distance";
  return "";
}

const ObjectSpec& recipe_spec() {
  static const std::shared_ptr<ObjectSpec> spec = make_recipe_spec();
  return *spec;
}

Recipe load_recipe(const Job& job, const std::string& commodity) {
  Recipe r;
  auto ov = job.recipes.find(commodity);
  r.path = (ov != job.recipes.end() && !ov->second.path.empty())
               ? ov->second.path
               : (fs::path(job.recipe_dir) / (commodity + ".json")).string();
  std::error_code ec;
  if (!fs::exists(r.path, ec))
    throw_usage(job.path + ": key 'recipes." + commodity + "': cannot read recipe file " + r.path +
                " (set PROSPECTOR_RECIPES or recipes." + commodity + ".path)");
  const std::string text =
      read_json_file(r.path, "recipe file", job.path + ": key 'recipes." + commodity + "'");
  const json v = validate(parse_json(text, r.path), recipe_spec(), r.path);
  r.commodity = v["commodity"];
  if (r.commodity != commodity)
    throw_usage(r.path + ": key 'commodity': recipe is for '" + r.commodity + "', expected '" + commodity +
                "'");
  r.name = v["name"];
  r.deposit_model = v["deposit_model"];
  for (const auto& ref : v.value("references", json::array()))
    r.references.push_back(ref);
  const json comb = v.value("combination", json::object());
  r.min_weight_fraction = comb.value("min_weight_fraction", 0.3);
  r.combination = comb.value("operator", "weighted_mean");
  r.gamma = comb.value("gamma", 0.9);
  for (const auto& e : v["evidence"]) {
    Evidence ev;
    ev.id = e["id"];
    for (const auto& other : r.evidence)
      if (other.id == ev.id) throw_usage(r.path + ": key 'evidence': duplicate evidence id '" + ev.id + "'");
    ev.source = selector(e["source"]);
    if (e.contains("ratio_to")) ev.ratio_to = selector(e["ratio_to"]);
    const bool balance_ratio = ev.ratio_to && ev.ratio_to->kind == "balance";
    if (ev.source.kind == "balance" &&
        (ev.source.element.empty() || !ev.source.filter.empty() || ev.ratio_to))
      throw_usage(r.path + ": key 'evidence." + ev.id +
                  ".source': a balance source names its balance in 'element' and takes no filter or ratio_to "
                  "(a balance is already a log-ratio)");
    if (balance_ratio)
      throw_usage(r.path + ": key 'evidence." + ev.id +
                  ".ratio_to': a balance cannot be a ratio's denominator");
    ev.transform = e["transform"];
    const std::string at = r.path + ": key 'evidence." + ev.id;
    const bool category = ev.transform == "category";
    if (category != e.contains("categories"))
      throw_usage(at + (category ? ".categories': transform category needs a favourability table"
                                 : ".categories': only transform category takes a favourability table"));
    if (category == e.contains("membership"))
      throw_usage(at + (category ? ".membership': transform category takes its memberships from categories"
                                 : ".membership': is required (the fuzzy membership of the evidence)"));
    if (!category && e.contains("other")) throw_usage(at + ".other': only transform category takes it");
    if (category) {
      for (auto it = e["categories"].begin(); it != e["categories"].end(); ++it)
        ev.categories[it.key()] = it.value();
      ev.other = e.value("other", 0.0);
    } else {
      const json& m = e["membership"];
      ev.membership.shape = shape(m["shape"], at + ".membership.shape'");
      ev.membership.low = m["low"];
      ev.membership.high = m["high"];
      ev.membership.midpoint = m["midpoint"];
      ev.membership.spread = m["spread"];
    }
    const bool geo_kind = is_vector_kind(ev.source.kind) || ev.source.kind == "categorical_raster";
    if (!ev.source.measure.empty() && !geo_kind)
      throw_usage(at + ".source.measure': only geology, structures, features and categorical_raster "
                       "sources take a measure");
    const std::string measure =
        ev.source.measure.empty() ? default_measure(ev.source.kind) : ev.source.measure;
    const bool fits = ev.source.kind == "geology"              ? (measure == "unit" || measure == "contact")
                      : ev.source.kind == "categorical_raster" ? measure == "unit"
                      : geo_kind ? (measure == "distance" || measure == "density")
                                 : true;
    if (!fits)
      throw_usage(at + ".source.measure': " + ev.source.kind + " sources have no measure '" + measure + "'");
    if (measure == "contact" && ev.source.element.empty())
      throw_usage(at + ".source.element': a contact measure names its unit in element");
    ev.weight = e["weight"];
    ev.rationale = e["rationale"];
    ev.optional = e.value("optional", false);
    r.evidence.push_back(ev);
  }
  if (ov != job.recipes.end()) {
    if (ov->second.min_weight_fraction) r.min_weight_fraction = *ov->second.min_weight_fraction;
    for (const auto& [id, eo] : ov->second.evidence) {
      Evidence* target = nullptr;
      for (auto& ev : r.evidence)
        if (ev.id == id) target = &ev;
      if (!target)
        throw_usage(job.path + ": key 'recipes." + commodity + ".evidence." + id + "': recipe " + r.path +
                    " has no evidence with that id");
      if (eo.weight) target->weight = *eo.weight;
      target->bound_layer = eo.layer;
    }
  }
  return r;
}

} // namespace prospector
