#pragma once
/// \file recipe.hpp
/// Commodity recipes (jobs/recipes/*.json): evidence layers, transforms, membership functions and weights
/// grounded in a deposit model. Recipes are data; this file only declares and loads them.

#include "kernels/fuzzy/fuzzy.hpp"
#include "pipeline/job/job.hpp"
#include "pipeline/job/options.hpp"

#include <map>
#include <string>
#include <vector>

namespace prospector {

/// Selects a layer by what it measures.
struct LayerSelector {
  std::string kind;    ///< magnetics, gravity, radiometric, em, geochem, balance, or a geology/raster kind
  std::string element; ///< optional (required for radiometric and geochem); contact: the unit; raster: label
  std::string filter;  ///< optional potential-field transform (rtp, analytic_signal, ...)
  std::string measure; ///< vector and categorical kinds: unit, contact, distance or density ("" = default)
};

/// The measure a selector of `kind` reads when it names none: unit for geology and categorical_raster,
/// distance for structures and features, "" for the other kinds.
std::string default_measure(const std::string& kind);

/// One evidence layer of a recipe.
struct Evidence {
  std::string id;
  LayerSelector source;
  std::optional<LayerSelector> ratio_to; ///< evidence is source / ratio_to (e.g. K/Th)
  std::string transform; ///< robust_z, neg_robust_z, local_z, neg_local_z, abs_local_z, gi_star, neg_gi_star,
                         ///< value (the layer itself, e.g. a distance), category (favourability table)
  kernels::MembershipParams membership;
  std::map<std::string, double> categories; ///< category: unit name -> membership
  double other = 0.0;                       ///< category: membership of units the table does not list
  double weight = 1.0;
  bool optional = false; ///< a job without a layer for it scores as if the recipe did not have it
  std::string rationale;
  std::string bound_layer; ///< from a job override: use this layer id
};

/// A loaded recipe.
struct Recipe {
  std::string commodity;
  std::string name;
  std::string deposit_model;
  std::vector<std::string> references;
  std::vector<Evidence> evidence;
  double min_weight_fraction = 0.3;
  std::string combination = "weighted_mean"; ///< weighted_mean, and, or, product, sum, gamma
  double gamma = 0.9;
  std::string path;
};

/// The declaration of recipe files.
const options::ObjectSpec& recipe_spec();

/// Loads the recipe for `commodity` (bundled or overridden by the job) and applies the job's overrides.
Recipe load_recipe(const Job& job, const std::string& commodity);

} // namespace prospector
