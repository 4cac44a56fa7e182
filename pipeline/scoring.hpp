#pragma once
/// \file scoring.hpp
/// Score stage: evaluates a commodity recipe (evidence -> transform -> fuzzy membership -> weighted overlay)
/// into a prospectivity grid in [0, 1]. Each evidence's weighted membership is stored as
/// contrib_<commodity>_<evidence id> so the targets stage can say which evidence drives each target.

#include "pipeline/layer_store.hpp"
#include "pipeline/recipe.hpp"

#include <string>
#include <vector>

namespace prospector {

/// The outcome of scoring one commodity.
struct ScoreResult {
  std::string layer;                          ///< prospectivity_<commodity>
  std::vector<std::string> evidence_used;     ///< "id=layer" for evidence found in the job
  std::vector<std::string> evidence_missing;  ///< ids the job has no layer for
  std::vector<std::string> contribution_layers; ///< contrib_<c>_<id>, same order as evidence_used
  std::vector<std::string> contribution_ids;
};

/// Finds the layer a selector refers to among the stored input layers ("" when none).
std::string find_layer(const LayerSelector& sel, const std::vector<LayerMeta>& layers);

/// Scores one commodity. Errors: InputData when the evidence the job provides carries less than the
/// recipe's min_weight_fraction of its total weight (naming the missing evidence).
ScoreResult score_commodity(const Recipe& recipe, const std::vector<LayerMeta>& input_layers,
                            std::int64_t local_radius, LayerStore& store, std::vector<std::string>& log);

} // namespace prospector
