#pragma once
/// \file targets.hpp
/// Stage pipeline.targets: threshold, 8-connected components across tiles, ranking.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// One commodity's target options.
struct CommodityTargetParams {
  std::string commodity;
  std::vector<std::string> evidence; ///< recipe evidence ids whose shares each target reports
  double top_fraction = 0;
};
PROSPECTOR_PARAMS_JSON(CommodityTargetParams, commodity, evidence, top_fraction)

/// What the targets unit reads besides every score tile.
struct TargetsParams {
  std::string threshold;
  std::int64_t min_cells = 1, max_targets = 50;
  std::vector<CommodityTargetParams> commodities;
};
PROSPECTOR_PARAMS_JSON(TargetsParams, threshold, min_cells, max_targets, commodities)

/// pipeline.targets.
class TargetsStage final : public StageWith<TargetsParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  TargetsParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const TargetsParams& params) const override;
};

} // namespace prospector::stages
