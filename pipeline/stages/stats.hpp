#pragma once
/// \file stats.hpp
/// Stage pipeline.stats: exact global median, MAD, minimum and maximum per layer from the per-tile partials.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// What the stats unit reads besides every transform tile.
struct StatsParams {
  std::vector<std::string> layers;
  std::vector<std::string> gi_layers; ///< layers that also get the mean and deviation for Gi*
  std::int64_t radius = 0;            ///< window radius (fixes the quantisation of the Gi* moments)
};
PROSPECTOR_PARAMS_JSON(StatsParams, layers, gi_layers, radius)

/// pipeline.stats.
class StatsStage final : public StageWith<StatsParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  StatsParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const StatsParams& params) const override;
};

} // namespace prospector::stages
