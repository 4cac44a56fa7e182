#pragma once
/// \file score.hpp
/// Stage pipeline.score: fuzzy prospectivity per commodity from its recipe, tile by tile; RX and PC grids.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// One recipe evidence as the score stage reads it.
struct EvidenceParams {
  std::string id, layer, base, transform;
  double weight = 1.0;
  nlohmann::json membership;
  bool optional = false;
  bool dropped =
      false; ///< its z-score grid is nodata (the layer has no robust spread): left out of the weights
};
PROSPECTOR_PARAMS_JSON(EvidenceParams, id, layer, base, transform, weight, membership, optional, dropped)

/// One commodity's recipe as the score stage reads it.
struct RecipeParams {
  std::string commodity, name, combination;
  double min_weight_fraction = 0, gamma = 0;
  std::vector<EvidenceParams> evidence;
};
PROSPECTOR_PARAMS_JSON(RecipeParams, commodity, name, combination, min_weight_fraction, gamma, evidence)

/// What a score unit reads besides its anomaly tile and the model.
struct ScoreParams {
  std::vector<RecipeParams> recipes;
  std::vector<std::string> rx_bands;
  std::int64_t pca_components = 0;
  bool contributions = false; ///< output.layers has "contributions": contrib_<c>_<id> tiles are stored
};
PROSPECTOR_PARAMS_JSON(ScoreParams, recipes, rx_bands, pca_components, contributions)

/// Weighted membership (weight x membership of the transformed anomaly grid) of evidence `e` of recipe `r` on
/// tile `t`, as the score stage combines it; NaN where the grid is nodata. Evidence without a layer in this
/// job has none: check `plan.evidence[r][e].layer` first. Targets and learn call it instead of reading
/// stored tiles, so contributions cost no disk unless output.layers asks for them.
void evidence_contribution(const Plan& p, std::size_t r, std::size_t e, std::int64_t t,
                           std::vector<float>& out);

/// pipeline.score.
class ScoreStage final : public StageWith<ScoreParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  ScoreParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const ScoreParams& params) const override;
};

} // namespace prospector::stages
