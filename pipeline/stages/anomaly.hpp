#pragma once
/// \file anomaly.hpp
/// Stage pipeline.anomaly: robust and local z-scores (and Gi*) per layer, tile by tile with a halo.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// What an anomaly unit reads besides the stats and the ingest and transform tiles of its halo window.
struct AnomalyParams {
  std::int64_t radius = 0;
  std::vector<std::string> layers;
  std::vector<std::string> grids; ///< the anomaly grids computed (Plan::anomaly_layers)
  std::vector<std::string> gi_layers;
  std::vector<std::string> rx_bands;
  std::string rx_covariance;
  std::int64_t robust_sample = 0;
};
PROSPECTOR_PARAMS_JSON(AnomalyParams, radius, layers, grids, gi_layers, rx_bands, rx_covariance,
                       robust_sample)

/// pipeline.anomaly.
class AnomalyStage final : public StageWith<AnomalyParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  AnomalyParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const AnomalyParams& params) const override;
};

} // namespace prospector::stages
