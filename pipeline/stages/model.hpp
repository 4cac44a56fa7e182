#pragma once
/// \file model.hpp
/// Stage pipeline.model: RX mean and covariance (classical or FAST-MCD) and PCA from the per-tile partials.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// What the model unit reads besides every anomaly tile.
struct ModelParams {
  std::vector<std::string> rx_bands;
  std::string rx_covariance;
  std::int64_t robust_sample = 0;
  std::int64_t pca_components = 0;
};
PROSPECTOR_PARAMS_JSON(ModelParams, rx_bands, rx_covariance, robust_sample, pca_components)

/// pipeline.model.
class ModelStage final : public StageWith<ModelParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  ModelParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const ModelParams& params) const override;
};

} // namespace prospector::stages
